//! Writing answers: aligned tables, CSV of the tidy rows, or the typed response as JSON.

use std::io::{self, Write};

use serde_json::Value;

use crate::answer::{Answer, Row};
use crate::cli::Format;

/// Writes `answer` in `format`.
pub fn write(out: &mut dyn Write, answer: &Answer, format: Format) -> io::Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &answer.json)?;
            writeln!(out)
        }
        Format::Csv => csv(out, &answer.rows),
        Format::Table => table(out, &answer.table()),
    }
}

/// Column names in order of first appearance.
fn columns(rows: &[Row]) -> Vec<&str> {
    let mut columns: Vec<&str> = Vec::new();
    for key in rows.iter().flat_map(Row::keys) {
        if !columns.contains(&key) {
            columns.push(key);
        }
    }
    columns
}

/// A value as one cell: text bare, whole numbers without a fraction, the rest as JSON.
pub fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(Value::Number(number)) => match number.as_f64() {
            Some(float) if float.fract() == 0.0 && float.abs() < 1e15 => format!("{float:.0}"),
            Some(float) => format!("{float:.4}")
                .trim_end_matches('0')
                .trim_end_matches('.')
                .to_owned(),
            None => number.to_string(),
        },
        Some(other) => other.to_string(),
    }
}

fn csv(out: &mut dyn Write, rows: &[Row]) -> io::Result<()> {
    let columns = columns(rows);
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(&columns)?;
    for row in rows {
        writer.write_record(columns.iter().map(|column| cell(row.get(column))))?;
    }
    writer.flush()
}

fn table(out: &mut dyn Write, rows: &[Row]) -> io::Result<()> {
    if rows.is_empty() {
        return writeln!(out, "(no rows)");
    }
    let columns = columns(rows);
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| columns.iter().map(|column| cell(row.get(column))).collect())
        .collect();
    let numeric: Vec<bool> = (0..columns.len())
        .map(|index| {
            rows.iter()
                .all(|row| matches!(row.get(columns[index]), Some(Value::Number(_)) | None))
        })
        .collect();
    let widths: Vec<usize> = (0..columns.len())
        .map(|index| {
            cells
                .iter()
                .map(|row| row[index].chars().count())
                .chain([columns[index].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |out: &mut dyn Write, values: &[String]| {
        let padded: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(index, value)| {
                let width = widths[index];
                if numeric[index] {
                    format!("{value:>width$}")
                } else {
                    format!("{value:<width$}")
                }
            })
            .collect();
        writeln!(out, "{}", padded.join("  ").trim_end())
    };
    let header: Vec<String> = columns.iter().map(|column| (*column).to_owned()).collect();
    line(out, &header)?;
    let rule: Vec<String> = widths.iter().map(|width| "─".repeat(*width)).collect();
    writeln!(out, "{}", rule.join("  "))?;
    for row in &cells {
        line(out, row)?;
    }
    Ok(())
}
