//! The longest line any decoder is given. A flow record is a few hundred bytes; a line of
//! megabytes is an attack or a broken writer, and splitting it would cost memory many times
//! its size. Readers keep at most `MAX_LINE + 1` bytes of a line (`source::lines`), so a line
//! longer than the limit arrives here cut, and is rejected with its length said.

use super::{Decoded, Decoder};

use crate::flows::source::MAX_LINE;
pub(crate) struct Bounded(Box<dyn Decoder>);

impl Bounded {
    pub fn new(inner: Box<dyn Decoder>) -> Self {
        Self(inner)
    }
}

impl Decoder for Bounded {
    fn decode(&mut self, line: &[u8], line_no: u64) -> Decoded {
        if line.len() > MAX_LINE {
            let hint = if memchr::memchr(b'\r', line).is_some() {
                " (its carriage returns suggest CR-only line endings: convert them to LF)"
            } else {
                ""
            };
            return Decoded::Reject(
                format!("line longer than the {} MiB limit{hint}", MAX_LINE >> 20).into(),
            );
        }
        self.0.decode(line, line_no)
    }

    fn reset(&mut self) {
        self.0.reset();
    }

    fn fork(&self) -> Box<dyn Decoder> {
        Box::new(Bounded(self.0.fork()))
    }

    fn changes_state(&self, line: &[u8]) -> bool {
        line.len() <= MAX_LINE && self.0.changes_state(line)
    }

    fn release_strings(&mut self) {
        self.0.release_strings();
    }
}
