//! Source files and spans.
//!
//! The compiler core never touches the file system directly: it reads through
//! [`FileSystem`], which has a real implementation for the CLI and an in-memory
//! one for tests. Every loaded text lives in a [`SourceDb`] and is referred to by
//! a [`FileId`]; a [`Span`] is a byte range in one of them.

use crate::hash::HashMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Index of a file in a [`SourceDb`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct FileId(pub u32);

/// A byte range `start..end` in one source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span { file, start: clamp_u32(start), end: clamp_u32(end) }
    }

    /// The smallest span covering both (which must be in the same file).
    pub fn to(self, other: Span) -> Span {
        Span { file: self.file, start: self.start.min(other.start), end: self.end.max(other.end) }
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

fn clamp_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A UTF-8 byte-order mark, which some editors write at the start of a file.
const BYTE_ORDER_MARK: &str = "\u{FEFF}";

/// One loaded text: the name shown in diagnostics and its contents.
#[derive(Debug)]
pub struct SourceFile {
    /// Shared with the [`Location`]s of the elements compiled from the file.
    pub name: Arc<str>,
    /// The contents without a leading byte-order mark: every reader (the
    /// lexer, the .crn, .net and SBML readers) sees the text alone.
    pub text: String,
    /// Bytes dropped from the start of the file (a byte-order mark), so that
    /// byte offsets reported to tools are those of the file on disk.
    pub skipped: usize,
    line_starts: Vec<usize>,
    /// Per line: whether it is all ASCII, where a column is a byte offset.
    ascii_lines: Vec<bool>,
}

impl SourceFile {
    fn new(name: String, mut text: String) -> SourceFile {
        let skipped = if text.starts_with(BYTE_ORDER_MARK) { BYTE_ORDER_MARK.len() } else { 0 };
        text.drain(..skipped);
        let line_starts: Vec<usize> =
            std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        let ends = line_starts.iter().skip(1).copied().chain([text.len()]);
        let ascii_lines =
            line_starts.iter().zip(ends).map(|(&a, b)| text.as_bytes()[a..b].is_ascii()).collect();
        SourceFile { name: name.into(), text, skipped, line_starts, ascii_lines }
    }

    /// 1-based line and column (in characters) of a byte offset. O(1) on an
    /// ASCII line, so thousands of diagnostics on one long generated line
    /// do not each count its characters.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let col = match self.text.get(start..offset) {
            Some(s) if !self.ascii_lines[line] => s.chars().count(),
            _ => offset - start,
        };
        (line + 1, col + 1)
    }

    pub fn line_starts(&self) -> &[usize] {
        &self.line_starts
    }
}

/// A text made from another one (a BioNetGen file's crnl translation) and
/// the pieces of it that came from each piece of the original, so that a
/// diagnostic in the made text is shown on the original's line.
#[derive(Clone, Debug)]
pub struct Origin {
    pub file: FileId,
    /// `(made, original)` byte ranges, in order of the made text; a range may
    /// lie inside another (a word inside its line), and the smallest wins.
    pub pieces: Vec<(std::ops::Range<usize>, std::ops::Range<usize>)>,
}

/// All texts the compiler has read in one run.
#[derive(Debug, Default)]
pub struct SourceDb {
    files: Vec<SourceFile>,
    origins: HashMap<FileId, Translation>,
}

/// An [`Origin`] with its pieces sorted by where they start in the made
/// text, and the length of the longest: the pieces that can hold an offset
/// then lie in one short run found by binary search. Every species and
/// reaction of a translated network asks for its original place, so a
/// linear scan made loading a 50,000-line BioNetGen file quadratic.
#[derive(Debug)]
struct Translation {
    origin: Origin,
    longest: usize,
}

impl Translation {
    /// The pieces that start at or before `offset` and may still reach it.
    fn near(&self, offset: usize) -> &[(std::ops::Range<usize>, std::ops::Range<usize>)] {
        let pieces = &self.origin.pieces;
        let end = pieces.partition_point(|(made, _)| made.start <= offset);
        let begin = pieces[..end].partition_point(|(made, _)| made.start + self.longest <= offset);
        &pieces[begin..end]
    }
}

impl SourceDb {
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        let id = FileId(clamp_u32(self.files.len()));
        self.files.push(SourceFile::new(name.into(), text.into()));
        id
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn files(&self) -> impl Iterator<Item = &SourceFile> {
        self.files.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Records that `made` was translated from `origin.file`.
    pub fn set_origin(&mut self, made: FileId, mut origin: Origin) {
        // Stable: of two pieces at one start, the first listed stays first.
        origin.pieces.sort_by_key(|(made, _)| made.start);
        let longest = origin.pieces.iter().map(|(made, _)| made.len()).max().unwrap_or(0);
        self.origins.insert(made, Translation { origin, longest });
    }

    /// The span a user should see: in the original file for a span in a
    /// translation, the span itself otherwise. A span inside a piece copied
    /// unchanged (a name in a rate) keeps its place in it; inside any other
    /// piece it shows the whole original piece (the line); across pieces it
    /// runs from the first one's start to the last one's end.
    pub fn original(&self, span: Span) -> Span {
        let Some(translation) = self.origins.get(&span.file) else { return span };
        let origin = &translation.origin;
        let (start, end) = (span.start as usize, span.end as usize);
        let smallest = |offset: usize, contains: &dyn Fn(&std::ops::Range<usize>) -> bool| {
            translation
                .near(offset)
                .iter()
                .filter(|(made, _)| contains(made))
                .min_by_key(|(made, _)| made.len())
        };
        if let Some((made, original)) =
            smallest(start, &|m| m.start <= start && end <= m.end && start < m.end)
        {
            if made.len() != original.len() {
                return Span::new(origin.file, original.start, original.end);
            }
            let at = |offset: usize| original.start + (offset - made.start);
            return Span::new(origin.file, at(start), at(end));
        }
        // The piece at an offset, or else the nearest before it (or the first).
        let piece = |offset: usize| {
            smallest(offset, &|m| m.start <= offset && offset < m.end)
                .or_else(|| origin.pieces[..origin.pieces.partition_point(|(m, _)| m.start <= offset)].last())
                .or(origin.pieces.first())
                .map(|(_, original)| original.clone())
        };
        match (piece(start), piece(end.saturating_sub(1).max(start))) {
            (Some(first), Some(last)) => {
                Span::new(origin.file, first.start.min(last.start), last.end.max(first.end))
            }
            _ => Span::new(origin.file, 0, 0),
        }
    }

    /// Where a span starts, in the file a user should see.
    pub fn location(&self, span: Span) -> Location {
        let span = self.original(span);
        let file = self.get(span.file);
        let (line, col) = file.line_col(span.start as usize);
        Location { file: Arc::clone(&file.name), line: clamp_u32(line), col: clamp_u32(col) }
    }
}

/// `name:line:col`, the prefix users paste into editors. Kept as numbers and
/// written out only when shown: every element of a compiled network has one.
#[derive(Clone, Debug, PartialEq)]
pub struct Location {
    pub file: Arc<str>,
    pub line: u32,
    pub col: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

impl serde::Serialize for Location {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Where the compiler reads source files from.
pub trait FileSystem {
    fn read(&self, path: &Path) -> io::Result<String>;
}

/// The real file system. Only regular files are read, and none larger than
/// `max_bytes`: a device (`/dev/zero`) or a FIFO could otherwise be read
/// until memory runs out.
pub struct RealFs {
    max_bytes: u64,
    /// Canonical paths of the files read, so a command can refuse to overwrite one.
    read: std::cell::RefCell<Vec<PathBuf>>,
}

impl RealFs {
    /// 256 MiB: ten times the largest SBML model of the benchmark set.
    pub const DEFAULT_MAX_BYTES: u64 = 256 << 20;

    pub fn with_limit(max_bytes: u64) -> RealFs {
        RealFs { max_bytes, read: Default::default() }
    }

    /// Every file read so far, as canonical paths.
    pub fn paths_read(&self) -> Vec<PathBuf> {
        self.read.borrow().clone()
    }
}

impl Default for RealFs {
    fn default() -> RealFs {
        RealFs::with_limit(RealFs::DEFAULT_MAX_BYTES)
    }
}

impl FileSystem for RealFs {
    fn read(&self, path: &Path) -> io::Result<String> {
        use std::io::Read;
        // Before opening too: opening a pipe blocks until something writes to it.
        let not_regular = || {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "it is not a regular file (a directory, device or pipe), and crnc reads only files",
            )
        };
        if !std::fs::metadata(path)?.is_file() {
            return Err(not_regular());
        }
        let file = std::fs::File::open(path)?;
        if !file.metadata()?.is_file() {
            return Err(not_regular());
        }
        if let Ok(canonical) = std::fs::canonicalize(path) {
            self.read.borrow_mut().push(canonical);
        }
        let mut text = String::new();
        // Read one byte past the limit, so a file that grows while it is read is caught too.
        file.take(self.max_bytes.saturating_add(1)).read_to_string(&mut text)?;
        if text.len() as u64 > self.max_bytes {
            return Err(io::Error::new(
                io::ErrorKind::FileTooLarge,
                format!(
                    "it is larger than the input limit of {} MiB (--max-input-mb raises it)",
                    self.max_bytes >> 20
                ),
            ));
        }
        Ok(text)
    }
}

/// An in-memory file system for tests and tools.
#[derive(Default)]
pub struct MemoryFs {
    files: HashMap<PathBuf, String>,
}

impl MemoryFs {
    pub fn new() -> MemoryFs {
        MemoryFs::default()
    }

    pub fn with(mut self, path: impl Into<PathBuf>, text: impl Into<String>) -> MemoryFs {
        self.files.insert(path.into(), text.into());
        self
    }
}

impl FileSystem for MemoryFs {
    fn read(&self, path: &Path) -> io::Result<String> {
        self.files.get(path).cloned().ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))
    }
}

/// The standard library, embedded at build time from `stdlib/`.
pub mod stdlib {
    const FILES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/stdlib_files.rs"));

    /// Source of the module `std::name` (given as `"std::name"`).
    pub fn source(module: &str) -> Option<&'static str> {
        FILES.iter().find(|(name, _)| *name == module).map(|(_, text)| *text)
    }

    /// Every module path, sorted.
    pub fn modules() -> impl Iterator<Item = &'static str> {
        FILES.iter().map(|(name, _)| *name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one_and_in_characters() {
        let mut db = SourceDb::default();
        let id = db.add("a.crnl", "ab\n∅x\n");
        let f = db.get(id);
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        assert_eq!(f.line_col(3 + '∅'.len_utf8()), (2, 2));
        assert_eq!(db.location(Span::new(id, 1, 2)).to_string(), "a.crnl:1:2");
    }

    #[test]
    fn only_regular_files_within_the_limit_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.crnl");
        std::fs::write(&path, "0123456789").unwrap();
        assert_eq!(RealFs::default().read(&path).unwrap(), "0123456789");
        assert_eq!(RealFs::with_limit(10).read(&path).unwrap(), "0123456789");
        assert_eq!(RealFs::with_limit(9).read(&path).unwrap_err().kind(), io::ErrorKind::FileTooLarge);
        assert_eq!(RealFs::default().read(dir.path()).unwrap_err().kind(), io::ErrorKind::InvalidInput);
        assert_eq!(
            RealFs::default().read(Path::new("/dev/zero")).unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
    }

    #[test]
    fn spans_in_a_translation_show_in_the_original() {
        let mut db = SourceDb::default();
        let net = db.add("a.net", "x\n 1 k  2*kx\n");
        let made = db.add("a.net.crnl", "network N {\n  param k = 2*kx;\n}\n");
        db.set_origin(made, Origin { file: net, pieces: vec![(12..29, 3..12), (24..28, 8..12)] });
        assert_eq!(db.original(Span::new(made, 26, 28)), Span::new(net, 10, 12), "the name in the rate");
        assert_eq!(db.original(Span::new(made, 14, 19)), Span::new(net, 3, 12), "the line");
        assert_eq!(db.original(Span::new(made, 24, 29)), Span::new(net, 3, 12), "past the word");
        assert_eq!(db.location(Span::new(made, 0, 7)).to_string(), "a.net:2:2", "before every piece");
        assert_eq!(db.original(Span::new(net, 1, 2)), Span::new(net, 1, 2));
    }

    #[test]
    fn spans_find_their_piece_among_many_listed_in_any_order() {
        // Line i of the made text is 10i..10i+9, from 20i..20i+15 of the
        // original; its word 10i+2..10i+5 is copied unchanged from 20i+4.
        let lines = 2000;
        let mut pieces = Vec::new();
        for i in (0..lines).rev() {
            pieces.push((10 * i + 2..10 * i + 5, 20 * i + 4..20 * i + 7));
            pieces.push((10 * i..10 * i + 9, 20 * i..20 * i + 15));
        }
        let mut db = SourceDb::default();
        let original = db.add("big.net", "x".repeat(20 * lines));
        let made = db.add("big.net.crnl", "y".repeat(10 * lines));
        db.set_origin(made, Origin { file: original, pieces });
        let span = |start: usize, end: usize| Span::new(made, start, end);
        let expect = |start: usize, end: usize| Span::new(original, start, end);
        for i in [0, 1, 999, lines - 1] {
            let at = 10 * i;
            assert_eq!(db.original(span(at + 3, at + 5)), expect(20 * i + 5, 20 * i + 7), "word of line {i}");
            assert_eq!(db.original(span(at + 1, at + 8)), expect(20 * i, 20 * i + 15), "line {i}");
        }
        assert_eq!(db.original(span(25, 47)), expect(40, 95), "across lines 2 to 4");
    }

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_text() {
        let mut db = SourceDb::default();
        let id = db.add("bom.crnl", "\u{FEFF}ab\ncd");
        let f = db.get(id);
        assert_eq!(f.text, "ab\ncd");
        assert_eq!(f.skipped, 3);
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(4), (2, 2));
    }

    #[test]
    fn stdlib_modules_are_embedded() {
        assert!(stdlib::modules().any(|m| m == "std::constants"));
        assert!(stdlib::source("std::constants").is_some());
        assert!(stdlib::source("std::nope").is_none());
    }
}
