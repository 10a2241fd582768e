//! `flowtop threat`: one flow's threat score from its core fields.

use color_eyre::eyre::{Result, eyre};

pub fn run(args: &crate::cli::args::ThreatArgs, cfg: &crate::cli::config::Config) -> Result<()> {
    let default_file = cfg
        .ui
        .model_file
        .clone()
        .unwrap_or_else(|| std::path::PathBuf::from("flowtop-model.json"));
    let path = match &args.model {
        Some(p) => Some(p.clone()),
        None => default_file.exists().then_some(default_file),
    };
    let model = match &path {
        Some(p) => Some(flowtop::learn::model::load(p, None)?),
        None => None,
    };
    let query = flowtop::learn::threat::ThreatQuery {
        duration: args.duration,
        fwd_packets: args.fwd_packets,
        bwd_packets: args.bwd_packets,
        fwd_bytes: args.fwd_bytes,
        bwd_bytes: args.bwd_bytes,
        mean_packet_size: args.mean_packet_size,
        dport: args.dport,
        proto: args.proto.clone(),
        state: args.state.clone(),
        ..Default::default()
    };
    let a = flowtop::learn::threat::evaluate(model.as_ref(), &query, &cfg.threat)
        .map_err(|e| eyre!(e))?;
    if args.json {
        flowtop::sanitize::print_json(&a)?;
        return Ok(());
    }
    flowtop::outln!("threat {:.0}/100 {} ({})", a.score, a.level.name(), a.basis)?;
    if let Some(p) = &path {
        flowtop::outln!("model: {}", p.display())?;
    }
    for r in &a.reasons {
        flowtop::outln!("  +{:>4.1}  {}", r.points, r.detail)?;
    }
    if !a.top_features.is_empty() {
        flowtop::outln!("top deviations: {}", a.top_features_text())?;
    }
    for r in &a.recommendations {
        flowtop::outln!("-> {r}")?;
    }
    for i in &a.imputed {
        flowtop::outln!("imputed: {i}")?;
    }
    Ok(())
}
