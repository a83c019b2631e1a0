//! The data CSV (design.md §4.2: a header row, then per sample the inputs in
//! declaration order and the target last), the `--params-init` file
//! (`name,value` rows) and the writer of the data layout.
//!
//! Both readers take a text already in the `SourceDb` (the library reads
//! files only through `FileSystem`), so every error points into the file.
//! Fields are separated by commas and trimmed; blank lines are skipped; there
//! is no quoting, since names and numbers never need it.

use indexmap::IndexMap;

use super::Dataset;
use crate::backend::number;
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};

/// Errors reported per file; a file with a wrong delimiter would otherwise
/// give one error per row.
const MAX_REPORTED: usize = 20;

/// Reads a data CSV. With `declared_inputs` (the model's input count) every
/// row must hold that many inputs and the target; without, the header sets
/// the width.
pub fn read_csv(
    text: &str,
    file: FileId,
    declared_inputs: Option<usize>,
) -> Result<Dataset, Vec<Diagnostic>> {
    let mut rows = rows(text);
    let Some(header) = rows.next() else {
        return Err(vec![
            Diagnostic::error("E0900", "the data file is empty")
                .with_primary(Span::new(file, 0, 0), "nothing here")
                .with_hint("write a header row naming the columns, then one row per sample"),
        ]);
    };
    let width = declared_inputs.map_or(header.fields.len(), |d| d + 1);
    if header.fields.iter().all(|f| f.text.parse::<f64>().is_ok()) {
        let names: Vec<String> =
            (1..width.max(2)).map(|i| format!("x{i}")).chain(["y".to_string()]).collect();
        return Err(vec![
            Diagnostic::error("E0900", "the data file has no header row")
                .with_primary(header.span(file), "this first row holds numbers")
                .with_note(
                    "the first row names the columns: the inputs in declaration order, then the target",
                )
                .with_hint(format!("add a first row such as `{}` (the names are free)", names.join(","))),
        ]);
    }
    if width < 2 || header.fields.len() != width {
        return Err(vec![header_width(&header, file, declared_inputs)]);
    }
    let (target, inputs) = header.fields.split_last().expect("a header of at least two columns");
    let names: Vec<String> = inputs.iter().map(|f| f.text.to_string()).collect();
    let mut data = Dataset::new(names, target.text);
    let mut errors = Errors::default();
    let mut x = vec![0.0; width - 1];
    for row in rows {
        if row.fields.len() != width {
            errors.push(row_width(&row, file, width, declared_inputs));
            continue;
        }
        let before = errors.count();
        let mut y = 0.0;
        for (i, field) in row.fields.iter().enumerate() {
            let column = header.fields[i].text;
            match finite(field, file, || format!("in column `{column}`")) {
                Ok(v) if i + 1 < width => x[i] = v,
                Ok(v) => y = v,
                Err(d) => errors.push(d),
            }
        }
        if errors.count() == before {
            data.push(&x, y);
        }
    }
    if errors.count() == 0 && data.is_empty() {
        errors.push(
            Diagnostic::error("E0900", "the data file holds no samples")
                .with_primary(header.span(file), "only this header row")
                .with_hint("add one row per sample after the header"),
        );
    }
    errors.finish()?;
    Ok(data)
}

/// One `--params-init` value, with the spans the caller needs to report an
/// unknown name or a value it refuses.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamValue {
    pub name: String,
    pub value: f64,
    pub name_span: Span,
    pub value_span: Span,
}

/// Reads `name,value` rows (an optional first row `name,value` is a header)
/// in file order. Names are not checked against a model here: the caller
/// knows the parameters.
pub fn read_params(text: &str, file: FileId) -> Result<Vec<ParamValue>, Vec<Diagnostic>> {
    let mut rows = rows(text).peekable();
    let is_header = |row: &Row| {
        row.fields.len() == 2
            && row.fields[0].text.eq_ignore_ascii_case("name")
            && row.fields[1].text.eq_ignore_ascii_case("value")
    };
    let header = rows.next_if(is_header);
    let mut errors = Errors::default();
    let mut seen: IndexMap<String, Span> = IndexMap::new();
    let mut values = Vec::new();
    for row in rows {
        let [name, value] = row.fields.as_slice() else {
            errors.push(
                Diagnostic::error(
                    "E0903",
                    format!(
                        "a parameter row holds {} {}, expected 2",
                        row.fields.len(),
                        columns(row.fields.len())
                    ),
                )
                .with_primary(row.span(file), "expected `name,value`")
                .with_hint("write one parameter per row: its name, a comma, its value"),
            );
            continue;
        };
        let name_span = name.span(file);
        if name.text.is_empty() {
            errors.push(
                Diagnostic::error("E0903", "a parameter row without a name")
                    .with_primary(name_span, "empty name")
                    .with_hint("write the parameter's name as the model declares it, e.g. `theta[0]`"),
            );
            continue;
        }
        if let Some(&first) = seen.get(name.text) {
            errors.push(
                Diagnostic::error("E0903", format!("the parameter `{}` is given twice", name.text))
                    .with_primary(name_span, "given again here")
                    .with_secondary(first, "first given here")
                    .with_hint("keep one row per parameter"),
            );
            continue;
        }
        seen.insert(name.text.to_string(), name_span);
        match finite(value, file, || format!("the value of `{}`", name.text)) {
            Ok(v) => values.push(ParamValue {
                name: name.text.to_string(),
                value: v,
                name_span,
                value_span: value.span(file),
            }),
            Err(d) => errors.push(d),
        }
    }
    if errors.count() == 0 && values.is_empty() {
        let (span, label) = match header {
            Some(h) => (h.span(file), "only this header row"),
            None => (Span::new(file, 0, 0), "nothing here"),
        };
        errors.push(
            Diagnostic::error("E0900", "the parameter file holds no values")
                .with_primary(span, label)
                .with_hint("write one `name,value` row per parameter"),
        );
    }
    errors.finish()?;
    Ok(values)
}

/// The data layout [`read_csv`] reads: the header, then one row per sample
/// with the shortest digits that read back to the same number.
pub fn write_csv(data: &Dataset) -> String {
    let mut out = String::with_capacity(16 * (data.dim() + 1) * (data.len() + 1));
    let names = data.input_names().iter().map(String::as_str).chain([data.target_name()]);
    out.push_str(&names.collect::<Vec<_>>().join(","));
    out.push('\n');
    for (x, y) in data.samples() {
        for v in x {
            out.push_str(&number(*v));
            out.push(',');
        }
        out.push_str(&number(y));
        out.push('\n');
    }
    out
}

/// A non-blank line split at commas.
pub(crate) struct Row<'a> {
    start: usize,
    end: usize,
    pub fields: Vec<Field<'a>>,
}

/// A field without surrounding blanks, at its byte range in the file.
#[derive(Clone)]
pub(crate) struct Field<'a> {
    pub text: &'a str,
    start: usize,
}

impl Row<'_> {
    pub fn span(&self, file: FileId) -> Span {
        Span::new(file, self.start, self.end)
    }
}

impl Field<'_> {
    pub fn span(&self, file: FileId) -> Span {
        Span::new(file, self.start, self.start + self.text.len())
    }
}

pub(crate) fn rows(text: &str) -> impl Iterator<Item = Row<'_>> {
    let mut offset = 0;
    text.split_inclusive('\n').filter_map(move |line| {
        let start = offset;
        offset += line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        if content.trim().is_empty() {
            return None;
        }
        let mut fields = Vec::new();
        let mut field_start = start;
        for raw in content.split(',') {
            let text = raw.trim();
            let lead = raw.len() - raw.trim_start().len();
            fields.push(Field { text, start: field_start + lead });
            field_start += raw.len() + 1;
        }
        Some(Row { start, end: start + content.len(), fields })
    })
}

/// A finite number, or E0902 saying what `place` the field is.
fn finite(field: &Field, file: FileId, place: impl Fn() -> String) -> Result<f64, Diagnostic> {
    let t = field.text;
    let d = match t.parse::<f64>() {
        Ok(v) if v.is_finite() => return Ok(v),
        Ok(v) if v.is_nan() || t.to_ascii_lowercase().contains("inf") => {
            Diagnostic::error("E0902", format!("`{t}` is not a finite number"))
                .with_primary(field.span(file), place())
                .with_hint("every value must be finite: drop the row or give it a number")
        }
        Ok(_) => Diagnostic::error("E0902", format!("`{t}` is beyond the float range"))
            .with_primary(field.span(file), place())
            .with_hint("the largest finite value is about 1.8e308; rescale the data"),
        Err(_) if t.is_empty() => Diagnostic::error("E0902", "a value is missing")
            .with_primary(field.span(file), format!("empty field {}", place()))
            .with_hint("write a number in every column"),
        Err(_) => Diagnostic::error("E0902", format!("`{t}` is not a number"))
            .with_primary(field.span(file), place())
            .with_hint("write a decimal number such as 0.25, -3 or 1.5e-3"),
    };
    Err(d)
}

/// The header's width is wrong: not the declared count, or under two columns.
fn header_width(header: &Row, file: FileId, declared_inputs: Option<usize>) -> Diagnostic {
    let found = header.fields.len();
    let d = match declared_inputs {
        Some(d) => Diagnostic::error(
            "E0901",
            format!(
                "the header names {found} columns, but the model declares {d} {} and a target",
                inputs(d)
            ),
        )
        .with_hint(format!(
            "write {} columns: the {d} {} in declaration order, then the target",
            d + 1,
            inputs(d)
        )),
        None => {
            Diagnostic::error("E0901", format!("the header names {found} column, but data need two at least"))
                .with_hint("write at least one input column, then the target")
        }
    };
    d.with_primary(header.span(file), format!("{found} {}", columns(found)))
}

fn row_width(row: &Row, file: FileId, width: usize, declared_inputs: Option<usize>) -> Diagnostic {
    let found = row.fields.len();
    let why = match declared_inputs {
        Some(d) => format!("the model declares {d} {}: each row holds them, then the target", inputs(d)),
        None => format!("the header names {width} columns"),
    };
    let hint = if found == 1 && row.fields[0].text.contains([';', '\t']) {
        "separate the columns with commas".to_string()
    } else if found > width {
        "remove the extra columns (a decimal comma splits a number in two: write a decimal point)".to_string()
    } else {
        format!("write {width} values in this row")
    };
    Diagnostic::error("E0901", format!("a row holds {found} {}, expected {width}", columns(found)))
        .with_primary(row.span(file), format!("{found} {}", columns(found)))
        .with_note(why)
        .with_hint(hint)
}

fn columns(n: usize) -> &'static str {
    if n == 1 { "column" } else { "columns" }
}

fn inputs(n: usize) -> &'static str {
    if n == 1 { "input" } else { "inputs" }
}

/// A file's errors: the first [`MAX_REPORTED`], and how many more there were.
#[derive(Default)]
struct Errors {
    shown: Vec<Diagnostic>,
    hidden: usize,
}

impl Errors {
    fn push(&mut self, d: Diagnostic) {
        if self.shown.len() < MAX_REPORTED {
            self.shown.push(d);
        } else {
            self.hidden += 1;
        }
    }

    fn count(&self) -> usize {
        self.shown.len() + self.hidden
    }

    fn finish(mut self) -> Result<(), Vec<Diagnostic>> {
        if let Some(last) = self.shown.last_mut().filter(|_| self.hidden > 0) {
            last.notes.push(format!("{} more errors in this file are not shown", self.hidden));
        }
        if self.shown.is_empty() { Ok(()) } else { Err(self.shown) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{Color, render_human};
    use crate::source::SourceDb;
    use proptest::prelude::*;

    fn data(text: &str, declared: Option<usize>) -> Result<Dataset, Vec<Diagnostic>> {
        read_csv(text, FileId(0), declared)
    }

    fn codes(ds: &[Diagnostic]) -> Vec<&str> {
        ds.iter().map(|d| d.code).collect()
    }

    /// The diagnostics of `read` on `text` in a file `name`, rendered as a person sees them.
    fn rendered_in(name: &str, text: &str, read: impl FnOnce(&str, FileId) -> Vec<Diagnostic>) -> String {
        let mut db = SourceDb::default();
        let file = db.add(name, text);
        let ds = read(&db.get(file).text, file);
        assert!(!ds.is_empty(), "no diagnostics for {text:?}");
        render_human(&db, &ds, Color::Never)
    }

    fn rendered(text: &str, read: impl FnOnce(&str, FileId) -> Vec<Diagnostic>) -> String {
        rendered_in("train.csv", text, read)
    }

    fn csv_errors(declared: Option<usize>) -> impl FnOnce(&str, FileId) -> Vec<Diagnostic> {
        move |text, file| read_csv(text, file, declared).unwrap_err()
    }

    /// The rendered errors of a data file of a model with 2 inputs, checked to say each of `wanted`.
    fn shows(text: &str, wanted: &[&str]) -> String {
        let out = rendered(text, csv_errors(Some(2)));
        for w in wanted {
            assert!(out.contains(w), "{w:?} not in {out}");
        }
        out
    }

    fn param_errors(text: &str, file: FileId) -> Vec<Diagnostic> {
        read_params(text, file).unwrap_err()
    }

    #[test]
    fn reads_the_header_then_inputs_and_target() {
        let text = "x1 , x2,y\r\n1, 2.5,3\r\n\r\n  \n-1e-3,+4,0.5\n";
        let d = data(text, Some(2)).unwrap();
        assert_eq!(d.input_names(), &["x1".to_string(), "x2".to_string()]);
        assert_eq!(d.target_name(), "y");
        assert_eq!(d.len(), 2);
        assert_eq!((d.input(0), d.target(0)), (&[1.0, 2.5][..], 3.0));
        assert_eq!((d.input(1), d.target(1)), (&[-1e-3, 4.0][..], 0.5));
        // Without a declared count the header sets the width.
        assert_eq!(data(text, None).unwrap(), d);
        // No final newline.
        assert_eq!(data("a,b\n1,2", None).unwrap().targets(), &[2.0]);
    }

    #[test]
    fn an_empty_file_is_e0900() {
        assert_eq!(codes(&data("", Some(2)).unwrap_err()), ["E0900"]);
        assert_eq!(codes(&data(" \r\n\n", Some(2)).unwrap_err()), ["E0900"]);
        insta::assert_snapshot!(rendered("", csv_errors(Some(2))));
    }

    #[test]
    fn a_missing_header_is_e0900_with_an_example_header() {
        insta::assert_snapshot!(shows("1,2,3\n4,5,6\n", &["add a first row such as `x1,x2,y`"]));
    }

    #[test]
    fn a_header_without_samples_is_e0900() {
        insta::assert_snapshot!(shows("x1,x2,y\n\n", &["no samples"]));
    }

    #[test]
    fn a_header_of_the_wrong_width_names_the_declared_inputs() {
        insta::assert_snapshot!(shows("a,b,c,y\n1,2,3,4\n", &["the model declares 2 inputs and a target"]));
        // Without a model, one column is too few.
        assert_eq!(codes(&data("y\n1\n", None).unwrap_err()), ["E0901"]);
    }

    #[test]
    fn a_row_of_the_wrong_width_is_e0901_at_its_line() {
        let out = shows("x1,x2,y\n1,2,3\n1,2\n4,5,6\n", &["train.csv:3:1", "the model declares 2 inputs"]);
        insta::assert_snapshot!(out);
        shows("x1,x2,y\n1;2;3\n", &["separate the columns with commas"]);
        shows("x1,x2,y\n1,5,2,3\n", &["decimal comma"]);
    }

    #[test]
    fn a_value_that_is_not_a_number_is_e0902_at_its_field() {
        let out = shows("x1,x2,y\n1,2,3\n1, two ,3\n", &["train.csv:3:4", "in column `x2`"]);
        insta::assert_snapshot!(out);
        shows("x1,x2,y\n1,,3\n", &["a value is missing"]);
    }

    #[test]
    fn a_value_that_is_not_finite_is_e0902() {
        for (value, says) in [
            ("inf", "not a finite number"),
            ("-Infinity", "not a finite number"),
            ("NaN", "not a finite number"),
        ]
        .into_iter()
        .chain([("1e999", "beyond the float range")])
        {
            shows(&format!("x1,x2,y\n1,2,{value}\n"), &["E0902", says]);
        }
        insta::assert_snapshot!(rendered("x1,x2,y\n1,nan,1e999\n", csv_errors(Some(2))));
    }

    #[test]
    fn every_bad_row_is_reported_up_to_a_limit() {
        let mut text = String::from("x1,x2,y\n");
        for i in 0..3 {
            text.push_str(&format!("{i},x,1\n"));
        }
        assert_eq!(data(&text, Some(2)).unwrap_err().len(), 3);
        let many = "x1,x2,y\n".to_string() + &"1;2;3\n".repeat(31);
        let errors = data(&many, None).unwrap_err();
        assert_eq!(errors.len(), MAX_REPORTED);
        assert_eq!(errors.last().unwrap().notes.last().unwrap(), "11 more errors in this file are not shown");
    }

    #[test]
    fn reads_parameter_rows_with_their_spans() {
        let text = "name,value\ntheta[0], 0.5\n\nw,-2e-1\n";
        let ps = read_params(text, FileId(3)).unwrap();
        let pairs: Vec<(&str, f64)> = ps.iter().map(|p| (p.name.as_str(), p.value)).collect();
        assert_eq!(pairs, [("theta[0]", 0.5), ("w", -0.2)]);
        assert_eq!(&text[ps[0].name_span.range()], "theta[0]");
        assert_eq!(&text[ps[0].value_span.range()], "0.5");
        assert_eq!(ps[1].value_span.file, FileId(3));
        // The header is optional.
        assert_eq!(read_params("w,1\n", FileId(0)).unwrap()[0].value, 1.0);
    }

    #[test]
    fn bad_parameter_rows_are_e0903_or_e0902() {
        let errors = read_params("a,1,2\n,3\nb,x\nc,4\nc,5\n", FileId(0)).unwrap_err();
        assert_eq!(codes(&errors), ["E0903", "E0903", "E0902", "E0903"]);
        insta::assert_snapshot!(rendered_in(
            "params.csv",
            "theta[0],0.5\ntheta[1],1\ntheta[0],2\n",
            param_errors
        ));
        assert_eq!(codes(&read_params("", FileId(0)).unwrap_err()), ["E0900"]);
        let header_only = rendered_in("params.csv", "name,value\n", param_errors);
        assert!(header_only.contains("only this header row"), "{header_only}");
    }

    #[test]
    fn writes_the_layout_it_reads() {
        let mut d = Dataset::new(vec!["x1".into(), "x2".into()], "y");
        d.push(&[0.1, 2.0], -3.5);
        d.push(&[1e-7, 6.02e23], 0.0);
        assert_eq!(write_csv(&d), "x1,x2,y\n0.1,2,-3.5\n1e-7,6.02e23,0\n");
        assert_eq!(data(&write_csv(&d), Some(2)).unwrap(), d);
    }

    fn finite_value() -> impl Strategy<Value = f64> {
        prop_oneof![
            any::<f64>().prop_filter("finite", |v| v.is_finite()),
            -1e3..1e3f64,
            Just(0.0),
            Just(-0.0),
            Just(f64::MIN_POSITIVE),
            Just(f64::MAX),
        ]
    }

    proptest! {
        #[test]
        fn csv_round_trip_keeps_every_bit(
            names in prop::collection::vec("[a-z][a-z0-9_]{0,6}", 2..5),
            rows in prop::collection::vec(prop::collection::vec(finite_value(), 5), 1..20),
        ) {
            let (target, inputs) = names.split_last().unwrap();
            let mut d = Dataset::new(inputs.to_vec(), target.clone());
            for row in &rows {
                d.push(&row[..d.dim()], row[4]);
            }
            let back = read_csv(&write_csv(&d), FileId(0), Some(d.dim())).unwrap();
            prop_assert_eq!(back.input_names(), d.input_names());
            prop_assert_eq!(back.len(), d.len());
            for ((x, y), (bx, by)) in d.samples().zip(back.samples()) {
                prop_assert_eq!(y.to_bits(), by.to_bits());
                for (a, b) in x.iter().zip(bx) {
                    prop_assert_eq!(a.to_bits(), b.to_bits());
                }
            }
        }
    }
}
