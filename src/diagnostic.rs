//! Renderer-independent diagnostics.
//!
//! Every stage reports problems as [`Diagnostic`] values; they become terminal
//! output (through codespan-reporting) or JSON only at the edge, in
//! [`render_human`] and [`render_json`].

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::{Error as FilesError, Files};
use codespan_reporting::term;

use crate::source::{FileId, SourceDb, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// A labelled span: the primary label says what is wrong there, secondary
/// labels point at related places (the earlier definition, the import, ...).
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    pub span: Span,
    pub message: String,
    pub primary: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable code, e.g. `E0201`; documented in docs/diagnostics.md.
    pub code: &'static str,
    pub message: String,
    pub labels: Vec<Label>,
    pub notes: Vec<String>,
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            labels: Vec::new(),
            notes: Vec::new(),
            hint: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(code, message) }
    }

    pub fn with_primary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label { span, message: message.into(), primary: true });
        self
    }

    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label { span, message: message.into(), primary: false });
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    pub fn primary_span(&self) -> Option<Span> {
        self.labels.iter().find(|l| l.primary).or(self.labels.first()).map(|l| l.span)
    }
}

/// Collected diagnostics of one run.
#[derive(Debug, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    pub fn extend(&mut self, ds: impl IntoIterator<Item = Diagnostic>) {
        self.items.extend(ds);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.items.len() - self.error_count()
    }

    pub fn items(&self) -> &[Diagnostic] {
        &self.items
    }

    /// Sorted by file and position (stable for equal positions), so that output
    /// reads top to bottom whatever order the passes found things in.
    pub fn into_sorted(mut self) -> Vec<Diagnostic> {
        self.items.sort_by_key(|d| d.primary_span().map(|s| (s.file, s.start)));
        self.items
    }
}

/// How to render diagnostics for a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Color {
    Always,
    Never,
}

/// Renders diagnostics as a person reads them: `error[E0201]: ...`, the file
/// location, the source excerpt with labels, then notes and a `hint:` line.
pub fn render_human(db: &SourceDb, diagnostics: &[Diagnostic], color: Color) -> String {
    let files = DbFiles(db);
    let config = term::Config::default();
    let mut out: Vec<u8> = Vec::new();
    for d in diagnostics {
        let rendered = to_codespan(db, d);
        let result = match color {
            Color::Always => {
                let mut w = term::termcolor::Ansi::new(&mut out);
                term::emit_to_write_style(&mut w, &config, &files, &rendered)
            }
            Color::Never => {
                let mut w = term::termcolor::NoColor::new(&mut out);
                term::emit_to_write_style(&mut w, &config, &files, &rendered)
            }
        };
        if result.is_err() {
            // A span that lies outside its file is a compiler bug; still say something useful.
            out.extend_from_slice(format!("{}[{}]: {}\n", severity_word(d), d.code, d.message).as_bytes());
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// At most `limit` warnings of each code (errors are all kept), and how many
/// of each code were left out.
pub fn limit_warnings(
    diagnostics: &[Diagnostic],
    limit: usize,
) -> (Vec<Diagnostic>, Vec<(&'static str, usize)>) {
    let mut seen: Vec<(&'static str, usize)> = Vec::new();
    let mut shown = Vec::new();
    for d in diagnostics {
        if d.is_error() {
            shown.push(d.clone());
            continue;
        }
        let count = match seen.iter_mut().find(|(c, _)| *c == d.code) {
            Some((_, n)) => n,
            None => {
                seen.push((d.code, 0));
                &mut seen.last_mut().expect("just pushed").1
            }
        };
        *count += 1;
        if *count <= limit {
            shown.push(d.clone());
        }
    }
    let hidden = seen.into_iter().filter(|&(_, n)| n > limit).map(|(c, n)| (c, n - limit)).collect();
    (shown, hidden)
}

/// The summary line printed after the diagnostics.
pub fn summary(diagnostics: &[Diagnostic]) -> Option<String> {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let plural = |n: usize, w: &str| if n == 1 { format!("1 {w}") } else { format!("{n} {w}s") };
    match (errors, warnings) {
        (0, 0) => None,
        (0, w) => Some(format!("{} emitted", plural(w, "warning"))),
        (e, 0) => Some(format!("aborting: {}", plural(e, "error"))),
        (e, w) => Some(format!("aborting: {}, {}", plural(e, "error"), plural(w, "warning"))),
    }
}

fn severity_word(d: &Diagnostic) -> &'static str {
    match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn to_codespan(db: &SourceDb, d: &Diagnostic) -> cs::Diagnostic<FileId> {
    let severity = match d.severity {
        Severity::Error => cs::Severity::Error,
        Severity::Warning => cs::Severity::Warning,
    };
    let labels = d
        .labels
        .iter()
        .map(|l| {
            let style = if l.primary { cs::LabelStyle::Primary } else { cs::LabelStyle::Secondary };
            let span = db.original(l.span);
            cs::Label::new(style, span.file, span.range()).with_message(l.message.clone())
        })
        .collect();
    let mut notes = d.notes.clone();
    if let Some(hint) = &d.hint {
        notes.push(format!("hint: {hint}"));
    }
    cs::Diagnostic::new(severity)
        .with_code(d.code)
        .with_message(d.message.clone())
        .with_labels(labels)
        .with_notes(notes)
}

/// Machine-readable diagnostics: a JSON array, one object per diagnostic, with
/// 1-based line/column positions for every label.
pub fn render_json(db: &SourceDb, diagnostics: &[Diagnostic]) -> String {
    let items: Vec<serde_json::Value> = diagnostics
        .iter()
        .map(|d| {
            let labels: Vec<serde_json::Value> = d
                .labels
                .iter()
                .map(|l| {
                    let span = db.original(l.span);
                    let file = db.get(span.file);
                    let (line, column) = file.line_col(span.start as usize);
                    let (end_line, end_column) = file.line_col(span.end as usize);
                    serde_json::json!({
                        "file": &*file.name,
                        "line": line,
                        "column": column,
                        "end_line": end_line,
                        "end_column": end_column,
                        "byte_start": span.start as usize + file.skipped,
                        "byte_end": span.end as usize + file.skipped,
                        "message": l.message,
                        "primary": l.primary,
                    })
                })
                .collect();
            serde_json::json!({
                "severity": d.severity,
                "code": d.code,
                "message": d.message,
                "labels": labels,
                "notes": d.notes,
                "hint": d.hint,
            })
        })
        .collect();
    serde_json::to_string_pretty(&items).expect("JSON values always serialise")
}

/// Adapter that lets codespan-reporting read our [`SourceDb`].
struct DbFiles<'a>(&'a SourceDb);

impl<'a> Files<'a> for DbFiles<'a> {
    type FileId = FileId;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<&'a str, FilesError> {
        self.check(id)?;
        Ok(&self.0.get(id).name)
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, FilesError> {
        self.check(id)?;
        Ok(&self.0.get(id).text)
    }

    fn line_index(&'a self, id: FileId, byte_index: usize) -> Result<usize, FilesError> {
        self.check(id)?;
        let starts = self.0.get(id).line_starts();
        Ok(starts.partition_point(|&s| s <= byte_index).saturating_sub(1))
    }

    fn line_range(&'a self, id: FileId, line_index: usize) -> Result<std::ops::Range<usize>, FilesError> {
        self.check(id)?;
        let file = self.0.get(id);
        let starts = file.line_starts();
        let start = *starts
            .get(line_index)
            .ok_or(FilesError::LineTooLarge { given: line_index, max: starts.len() - 1 })?;
        let end = starts.get(line_index + 1).copied().unwrap_or(file.text.len());
        Ok(start..end)
    }
}

impl DbFiles<'_> {
    fn check(&self, id: FileId) -> Result<(), FilesError> {
        if (id.0 as usize) < self.0.len() { Ok(()) } else { Err(FilesError::FileMissing) }
    }
}

/// "did you mean `x`?" for a misspelt name, if some candidate is close enough.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    closest(name, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// The candidate [`did_you_mean`] suggests, for hints that say more about it.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    // Edit distance, with case differences free; close means at most a third
    // of the name. Very short names must also share their first letter, or
    // every one-letter species would suggest every other.
    let lower = name.to_lowercase();
    let first = lower.chars().next();
    let length = name.chars().count();
    let limit = (length / 3).max(1);
    let mut best: Option<((usize, usize), &str)> = None;
    for c in candidates {
        let c_lower = c.to_lowercase();
        if c == name || (length <= 2 && c_lower.chars().next() != first) {
            continue;
        }
        let distance = strsim::damerau_levenshtein(&lower, &c_lower);
        let rank = (distance, c.chars().count().abs_diff(length));
        if distance <= limit && best.is_none_or(|(b, _)| rank < b) {
            best = Some((rank, c));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_you_mean_finds_close_names_only() {
        assert_eq!(did_you_mean("k_1", ["k1", "alpha"]).as_deref(), Some("did you mean `k1`?"));
        assert_eq!(did_you_mean("x", ["alpha", "beta"]), None);
        assert_eq!(did_you_mean("ab", ["AB"]).as_deref(), Some("did you mean `AB`?"));
        assert_eq!(did_you_mean("B", ["A", "Bb"]).as_deref(), Some("did you mean `Bb`?"));
        assert_eq!(did_you_mean("X", ["Y"]), None);
    }

    #[test]
    fn warnings_are_limited_per_code_and_errors_never() {
        let w = |code| Diagnostic::warning(code, "w");
        let e = Diagnostic::error("E0001", "e");
        let all = vec![w("W1"), e.clone(), w("W1"), w("W1"), w("W2"), e.clone()];
        let (shown, hidden) = limit_warnings(&all, 2);
        assert_eq!(shown.len(), 5);
        assert_eq!(hidden, vec![("W1", 1)]);
    }

    #[test]
    fn human_rendering_shows_location_code_and_hint() {
        let mut db = SourceDb::default();
        let f = db.add("m.crnl", "network N {\n  A -> B @ -1;\n}\n");
        let d = Diagnostic::error("E0300", "negative rate constant")
            .with_primary(Span::new(f, 23, 25), "this evaluates to -1")
            .with_hint("rate constants are non-negative");
        let out = render_human(&db, &[d], Color::Never);
        assert!(out.contains("error[E0300]: negative rate constant"), "{out}");
        assert!(out.contains("m.crnl:2:12"), "{out}");
        assert!(out.contains("hint: rate constants are non-negative"), "{out}");
    }

    #[test]
    fn json_rendering_has_positions() {
        let mut db = SourceDb::default();
        let f = db.add("m.crnl", "x\ny");
        let d = Diagnostic::warning("W0001", "unused").with_primary(Span::new(f, 2, 3), "here");
        let v: serde_json::Value = serde_json::from_str(&render_json(&db, &[d])).unwrap();
        assert_eq!(v[0]["labels"][0]["line"], 2);
        assert_eq!(v[0]["labels"][0]["column"], 1);
        assert_eq!(v[0]["severity"], "warning");
    }
}
