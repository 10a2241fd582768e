//! Nelder-Mead simplex minimisation (the standard coefficients: reflection 1, expansion 2,
//! contraction ½, shrink ½), with one restart from the best point so a collapsed simplex does
//! not stop it early. The likelihood surfaces here have at most a dozen dimensions.

pub struct Minimum {
    pub x: Vec<f64>,
    pub value: f64,
    pub converged: bool,
}

/// How hard to look: `tol` is the spread of the simplex's values at which it stops;
/// `restart` runs a second, smaller simplex from the first one's best point.
#[derive(Debug, Clone, Copy)]
pub struct Effort {
    pub max_evals: usize,
    pub tol: f64,
    pub restart: bool,
}

pub fn minimise(f: &mut dyn FnMut(&[f64]) -> f64, start: &[f64], effort: Effort) -> Minimum {
    let budget = if effort.restart {
        effort.max_evals / 2
    } else {
        effort.max_evals
    };
    let first = run(f, start, 0.3, budget, effort.tol);
    if !effort.restart {
        return first;
    }
    let second = run(f, &first.x, 0.1, budget, effort.tol);
    if second.value <= first.value {
        second
    } else {
        first
    }
}

fn run(
    f: &mut dyn FnMut(&[f64]) -> f64,
    start: &[f64],
    step: f64,
    max_evals: usize,
    tol: f64,
) -> Minimum {
    let n = start.len();
    let eval = |f: &mut dyn FnMut(&[f64]) -> f64, x: &[f64]| {
        let v = f(x);
        if v.is_finite() { v } else { f64::INFINITY }
    };
    if n == 0 {
        let value = eval(f, start);
        return Minimum {
            x: start.to_vec(),
            value,
            converged: true,
        };
    }
    let mut simplex: Vec<(Vec<f64>, f64)> = Vec::with_capacity(n + 1);
    simplex.push((start.to_vec(), eval(f, start)));
    for i in 0..n {
        let mut x = start.to_vec();
        x[i] += if x[i].abs() > 1e-3 {
            step * x[i].abs().max(0.1)
        } else {
            step
        };
        let v = eval(f, &x);
        simplex.push((x, v));
    }
    let mut evals = n + 1;
    let mut converged = false;
    while evals < max_evals {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (best, worst) = (simplex[0].1, simplex[n].1);
        if (worst - best).abs() <= tol {
            converged = true;
            break;
        }
        let centroid: Vec<f64> = (0..n)
            .map(|j| simplex[..n].iter().map(|(x, _)| x[j]).sum::<f64>() / n as f64)
            .collect();
        let along = |c: f64| -> Vec<f64> {
            (0..n)
                .map(|j| centroid[j] + c * (simplex[n].0[j] - centroid[j]))
                .collect()
        };
        let xr = along(-1.0);
        let fr = eval(f, &xr);
        evals += 1;
        if fr < simplex[0].1 {
            let xe = along(-2.0);
            let fe = eval(f, &xe);
            evals += 1;
            simplex[n] = if fe < fr { (xe, fe) } else { (xr, fr) };
        } else if fr < simplex[n - 1].1 {
            simplex[n] = (xr, fr);
        } else {
            let (xc, fc) = if fr < simplex[n].1 {
                let x = along(-0.5);
                let v = eval(f, &x);
                (x, v)
            } else {
                let x = along(0.5);
                let v = eval(f, &x);
                (x, v)
            };
            evals += 1;
            if fc < simplex[n].1.min(fr) {
                simplex[n] = (xc, fc);
            } else {
                let best = simplex[0].0.clone();
                for (x, v) in simplex.iter_mut().skip(1) {
                    for j in 0..n {
                        x[j] = best[j] + 0.5 * (x[j] - best[j]);
                    }
                    *v = eval(f, x);
                }
                evals += n;
            }
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    let (x, value) = simplex.swap_remove(0);
    Minimum {
        x,
        value,
        converged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_rosenbrock_minimum() {
        let mut f = |x: &[f64]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
        let effort = Effort {
            max_evals: 4000,
            tol: 1e-12,
            restart: true,
        };
        let m = minimise(&mut f, &[-1.2, 1.0], effort);
        assert!(
            (m.x[0] - 1.0).abs() < 1e-3 && (m.x[1] - 1.0).abs() < 1e-3,
            "{:?}",
            m.x
        );
    }
}
