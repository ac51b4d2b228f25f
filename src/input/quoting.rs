//! Where a CSV input's quoting goes wrong, seen as the bytes go by.
//!
//! The csv crate is lenient, as most CSV readers are: text after a field's closing quote is
//! kept (the quote dropped), and a quoted field that is never closed runs to the end of the
//! input. Either way one stray quote can pull the rows after it into a single field, and
//! they are gone without a word. [`QuoteCheck`] sits between the input and the parser,
//! follows the quoting exactly as csv-core does (a quote opens a field only at the field's
//! start; `""` inside it is a quote; a UTF-8 BOM at the very start is skipped), and notes the
//! byte offset of each problem, so that the row holding it can be refused or set aside like
//! any other bad row. It looks at quotes only (`memchr` between them): a few milliseconds
//! for hundreds of megabytes.
//!
//! It also numbers lines for messages: the csv crate counts `\n` bytes only, and places a
//! record's start before the line ends that precede it (the `\n` of a `\r\n`, blank lines),
//! so that every line number of a file with `\r\n` line ends came out one too low, and all
//! of a file with `\r` ends were line 1.

use std::collections::VecDeque;
use std::io::{self, Read};

/// How a row's quoting went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuoteProblem {
    /// Text right after a closing quote (`"a "b" c"`): a quote inside the field not doubled.
    TextAfterQuote,
    /// The input ends inside a quoted field.
    NeverClosed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Outside quotes; `at_field_start` when the last byte ended a field or a record (or
    /// there was none yet), so that a quote now would open a quoted field.
    Outside {
        at_field_start: bool,
    },
    Quoted,
    /// Right after a quote inside a quoted field: a doubled quote, or the field's end.
    AfterQuote,
}

const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";

/// A reader that passes its input through unchanged and notes its quoting problems.
pub struct QuoteCheck<R> {
    inner: R,
    delimiter: u8,
    state: State,
    /// Bytes passed through so far.
    seen: u64,
    at_end: bool,
    /// (byte offset, problem), in input order; the offset of [`QuoteProblem::NeverClosed`]
    /// is the input's length.
    problems: VecDeque<(u64, QuoteProblem)>,
    lines: LineIndex,
}

/// Line numbers of byte offsets asked in increasing order ([`QuoteCheck::line_at`]): the
/// offsets of the `\r` and `\n` bytes passed through and not yet asked past (a megabyte of
/// input or so: the parser's buffer), and the count of line ends before them.
#[derive(Default)]
struct LineIndex {
    /// Offset of each `\r` or `\n`, times two, plus one for a `\r`.
    breaks: VecDeque<u64>,
    /// Line ends before the first offset in `breaks`.
    ended: u64,
    /// Offset of the last `\r` counted, whose `\n` (if next) ends no line of its own.
    last_cr: Option<u64>,
}

impl LineIndex {
    fn note(&mut self, bytes: &[u8], offset: u64) {
        for at in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            let cr = u64::from(bytes[at] == b'\r');
            self.breaks.push_back((offset + at as u64) << 1 | cr);
        }
    }

    fn count_front(&mut self) -> Option<u64> {
        let front = self.breaks.pop_front()?;
        let (at, cr) = (front >> 1, front & 1 == 1);
        if cr || self.last_cr.is_none_or(|last| last + 1 != at) {
            self.ended += 1;
        }
        self.last_cr = cr.then_some(at);
        Some(at)
    }
}

impl<R: Read> QuoteCheck<R> {
    pub fn new(inner: R, delimiter: u8) -> Self {
        QuoteCheck {
            inner,
            delimiter,
            state: State::Outside {
                at_field_start: true,
            },
            seen: 0,
            at_end: false,
            problems: VecDeque::new(),
            lines: LineIndex::default(),
        }
    }

    /// The 1-based line of a record the parser says starts at byte `start`. The line ends
    /// right at `start` (blank lines, the `\n` of a `\r\n`) come before the record's first
    /// byte. Offsets must be asked in increasing order, as rows are read.
    pub fn line_at(&mut self, start: u64) -> u64 {
        let lines = &mut self.lines;
        while lines
            .breaks
            .front()
            .is_some_and(|&front| front >> 1 < start)
        {
            lines.count_front();
        }
        let mut next = start;
        while lines
            .breaks
            .front()
            .is_some_and(|&front| front >> 1 == next)
        {
            lines.count_front();
            next += 1;
        }
        lines.ended + 1
    }

    /// The first problem at or before byte `end`, the others up to there dropped: called
    /// with where each row ends, it gives the problem of that row.
    pub fn problem_up_to(&mut self, end: u64) -> Option<QuoteProblem> {
        let mut first = None;
        while let Some(&(at, problem)) = self.problems.front() {
            if at > end {
                break;
            }
            self.problems.pop_front();
            first.get_or_insert(problem);
        }
        first
    }

    fn ends_field(&self, byte: u8) -> bool {
        byte == self.delimiter || byte == b'\n' || byte == b'\r'
    }

    fn scan(&mut self, bytes: &[u8]) {
        // csv-core skips a BOM when the first bytes it is given hold all of it: these are.
        let skip = if self.seen == 0 && bytes.starts_with(UTF8_BOM) {
            UTF8_BOM.len()
        } else {
            0
        };
        let mut i = skip;
        while i < bytes.len() {
            match self.state {
                State::Quoted => match memchr::memchr(b'"', &bytes[i..]) {
                    Some(k) => {
                        i += k + 1;
                        self.state = State::AfterQuote;
                    }
                    None => i = bytes.len(),
                },
                State::AfterQuote => {
                    let byte = bytes[i];
                    self.state = if byte == b'"' {
                        State::Quoted
                    } else if self.ends_field(byte) {
                        State::Outside {
                            at_field_start: true,
                        }
                    } else {
                        self.problems
                            .push_back((self.seen + i as u64, QuoteProblem::TextAfterQuote));
                        State::Outside {
                            at_field_start: false,
                        }
                    };
                    i += 1;
                }
                State::Outside { at_field_start } => match memchr::memchr(b'"', &bytes[i..]) {
                    Some(k) => {
                        // Outside quotes only the byte before a quote says what it is.
                        let opens = if k == 0 {
                            at_field_start
                        } else {
                            self.ends_field(bytes[i + k - 1])
                        };
                        self.state = if opens {
                            State::Quoted
                        } else {
                            State::Outside {
                                at_field_start: false,
                            }
                        };
                        i += k + 1;
                    }
                    None => {
                        self.state = State::Outside {
                            at_field_start: self.ends_field(bytes[bytes.len() - 1]),
                        };
                        i = bytes.len();
                    }
                },
            }
        }
        self.seen += bytes.len() as u64;
    }
}

impl<R: Read> Read for QuoteCheck<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        if read > 0 {
            self.lines.note(&buf[..read], self.seen);
            self.scan(&buf[..read]);
        } else if !buf.is_empty() && !self.at_end {
            self.at_end = true;
            if self.state == State::Quoted {
                self.problems
                    .push_back((self.seen, QuoteProblem::NeverClosed));
            }
        }
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every problem of `input` read in pieces of `piece` bytes, with its offset.
    fn problems(input: &[u8], piece: usize) -> Vec<(u64, QuoteProblem)> {
        let mut check = QuoteCheck::new(input, b',');
        let mut buffer = vec![0; piece];
        let mut passed = Vec::new();
        loop {
            let n = check.read(&mut buffer).unwrap();
            if n == 0 {
                break;
            }
            passed.extend_from_slice(&buffer[..n]);
        }
        assert_eq!(passed, input, "the bytes pass through unchanged");
        check.problems.into_iter().collect()
    }

    fn every_piece_size(input: &[u8]) -> Vec<(u64, QuoteProblem)> {
        let whole = problems(input, 1 << 16);
        for piece in 1..=input.len().max(1) {
            assert_eq!(problems(input, piece), whole, "pieces of {piece} bytes");
        }
        whole
    }

    #[test]
    fn well_formed_csv_has_no_problem() {
        let input = b"id,text\n1,\"a, \"\"quoted\"\" word\nand a newline\"\r\n2,plain \"literal\" quote\n3,\"\"\n4,\n\n5,\"x\"";
        assert_eq!(every_piece_size(input), vec![]);
        assert_eq!(every_piece_size(b"\xef\xbb\xbf\"id\",text\n1,x\n"), vec![]);
        assert_eq!(every_piece_size(b""), vec![]);
    }

    #[test]
    fn text_after_a_closing_quote_is_found_where_it_is() {
        let input = b"id,text\n1,\"a \"stray\" quote\"\n2,ok\n";
        let at = input.iter().position(|&b| b == b's').unwrap() as u64;
        assert_eq!(
            every_piece_size(input),
            // The field goes on unquoted, so its last quote is a plain byte.
            vec![(at, QuoteProblem::TextAfterQuote)]
        );
    }

    #[test]
    fn a_quote_never_closed_runs_to_the_end() {
        let input = b"id,text\n1,\"never closed\n2,ok\n3,fine\n";
        assert_eq!(
            every_piece_size(input),
            vec![(input.len() as u64, QuoteProblem::NeverClosed)]
        );
        // A doubled quote at the very end does not close the field.
        let input = b"id,text\n1,\"a \"\"";
        assert_eq!(
            every_piece_size(input),
            vec![(input.len() as u64, QuoteProblem::NeverClosed)]
        );
        // A closing quote at the very end does.
        assert_eq!(every_piece_size(b"id,text\n1,\"closed\""), vec![]);
    }

    #[test]
    fn the_delimiter_is_the_one_given() {
        let input = b"id;text\n1;\"a\";\"b\"\n2,\"c\",\"d\"\n";
        let mut check = QuoteCheck::new(&input[..], b';');
        io::copy(&mut check, &mut io::sink()).unwrap();
        // With `;`, `,"d"` is a quote inside an unquoted field: no problem either.
        assert_eq!(check.problems.len(), 0);
        let mut check = QuoteCheck::new(&b"a;b\n\"x\",y\n"[..], b';');
        io::copy(&mut check, &mut io::sink()).unwrap();
        assert_eq!(
            check.problems.into_iter().collect::<Vec<_>>(),
            vec![(7, QuoteProblem::TextAfterQuote)]
        );
    }

    /// csv-core's quoting, a byte at a time, as plainly as it can be written.
    fn reference(input: &[u8]) -> Vec<(u64, QuoteProblem)> {
        let (mut quoted, mut after_quote, mut at_start) = (false, false, true);
        let mut found = Vec::new();
        let ends_field = |b: u8| b == b',' || b == b'\n' || b == b'\r';
        for (at, &b) in input.iter().enumerate() {
            if after_quote {
                after_quote = false;
                if b == b'"' {
                    continue;
                }
                quoted = false;
                if !ends_field(b) {
                    found.push((at as u64, QuoteProblem::TextAfterQuote));
                }
                at_start = ends_field(b);
            } else if quoted {
                after_quote = b == b'"';
            } else {
                quoted = b == b'"' && at_start;
                at_start = ends_field(b);
            }
        }
        if quoted && !after_quote {
            found.push((input.len() as u64, QuoteProblem::NeverClosed));
        }
        found
    }

    #[test]
    fn random_inputs_agree_with_a_byte_by_byte_reading() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let alphabet = b"ab,\"\"\n\r ";
        let mut with_problems = 0;
        for _ in 0..2_000 {
            let len = rng.random_range(0..40);
            let input: Vec<u8> = (0..len)
                .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                .collect();
            let expected = reference(&input);
            with_problems += usize::from(!expected.is_empty());
            for piece in [1, 2, 3, 5, 64] {
                assert_eq!(
                    problems(&input, piece),
                    expected,
                    "{:?} in pieces of {piece}",
                    String::from_utf8_lossy(&input)
                );
            }
        }
        assert!(with_problems > 500, "the inputs exercise both paths");
    }

    #[test]
    fn problems_are_handed_out_row_by_row() {
        let mut check = QuoteCheck::new(&b""[..], b',');
        check.problems.extend([
            (5, QuoteProblem::TextAfterQuote),
            (7, QuoteProblem::TextAfterQuote),
            (20, QuoteProblem::NeverClosed),
        ]);
        assert_eq!(check.problem_up_to(4), None);
        assert_eq!(check.problem_up_to(10), Some(QuoteProblem::TextAfterQuote));
        assert_eq!(check.problem_up_to(19), None);
        assert_eq!(check.problem_up_to(20), Some(QuoteProblem::NeverClosed));
    }
}
