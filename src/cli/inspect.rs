//! `flowtop inspect`: the report of every file named, as text or JSON.

use flowtop::flows::inspect::{inspect, render_text};
use flowtop::flows::source::Input;

/// `flowtop inspect`: reports every file; false when one could not be read (each is said).
pub fn command(
    args: &crate::cli::args::InspectArgs,
    cfg: &crate::cli::config::Config,
) -> color_eyre::Result<bool> {
    let opts = crate::cli::detect_options(cfg, &args.input)?;
    let mut all_read = true;
    for file in &args.files {
        match inspect(&Input::parse(file), &opts) {
            Ok(report) => crate::cli::print_report(&report, args.json, render_text)?,
            Err(e) => {
                flowtop::errln!("flowtop: {e}");
                all_read = false;
            }
        }
    }
    Ok(all_read)
}
