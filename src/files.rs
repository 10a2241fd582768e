//! Files a user names besides the flows (config, theme, model): read whole, regular files only,
//! with a bound, so a path to a device or a huge file is refused instead of read.

use std::path::Path;

/// Reads a regular file of at most `max` bytes as text (config, theme and model files).
pub fn read_regular(path: &Path, max: u64) -> std::io::Result<String> {
    use std::io::Read;
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(max + 1)
        .read_to_string(&mut text)?;
    if text.len() as u64 > max {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than the {} KiB this file may be", max >> 10),
        ));
    }
    Ok(text)
}
