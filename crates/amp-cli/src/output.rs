//! Writing answers: aligned tables, CSV of the tidy rows, or the typed response as JSON.

use std::io::{self, Write};

use serde_json::Value;

use crate::answer::{Answer, Row};
use crate::cli::Format;
use crate::human;
use crate::view::View;

/// Writes `answer` in `format`.
pub fn write(out: &mut dyn Write, answer: &Answer, format: Format) -> io::Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &answer.json)?;
            writeln!(out)
        }
        Format::Csv => csv(out, &answer.rows),
        Format::Table => tables(out, &answer.tables()),
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

/// Writes each view: its title, its aligned columns under a rule, and its notes.
fn tables(out: &mut dyn Write, views: &[View]) -> io::Result<()> {
    for (index, view) in views.iter().enumerate() {
        if index > 0 {
            writeln!(out)?;
        }
        if let Some(title) = &view.title {
            writeln!(out, "{title}")?;
        }
        if view.rows.is_empty() {
            writeln!(out, "(no rows)")?;
            continue;
        }
        let widths: Vec<usize> = (0..view.header.len())
            .map(|column| {
                view.rows
                    .iter()
                    .filter_map(|row| row.get(column))
                    .chain([&view.header[column]])
                    .map(|cell| cell.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |out: &mut dyn Write, values: &[String]| {
            let padded: Vec<String> = widths
                .iter()
                .enumerate()
                .map(|(column, &width)| {
                    let value = values.get(column).map_or("", String::as_str);
                    if view.numeric.get(column).copied().unwrap_or(false) {
                        format!("{value:>width$}")
                    } else {
                        format!("{value:<width$}")
                    }
                })
                .collect();
            writeln!(out, "{}", padded.join("  ").trim_end())
        };
        line(out, &view.header)?;
        let rule: Vec<String> = widths.iter().map(|width| "─".repeat(*width)).collect();
        writeln!(out, "{}", rule.join("  "))?;
        for row in &view.rows {
            line(out, row)?;
        }
        for note in &view.notes {
            writeln!(out, "{note}")?;
        }
    }
    Ok(())
}

/// Tidy rows for people: numbers with thousands separators (IDs and times as they are),
/// columns in order of first appearance.
pub fn rows_view(rows: &[Row]) -> View {
    let columns = columns(rows);
    let plain = |column: &str| column.ends_with("id") || column.contains("time");
    let numeric: Vec<bool> = columns
        .iter()
        .map(|column| {
            !rows.is_empty()
                && rows
                    .iter()
                    .all(|row| matches!(row.get(column), Some(Value::Number(_)) | None))
        })
        .collect();
    let rows = rows
        .iter()
        .map(|row| {
            columns
                .iter()
                .map(|column| match row.get(column) {
                    Some(Value::Number(number)) if !plain(column) => number
                        .as_f64()
                        .map_or_else(|| number.to_string(), human::count),
                    value => cell(value),
                })
                .collect()
        })
        .collect();
    View {
        title: None,
        header: columns.iter().map(|column| (*column).to_owned()).collect(),
        rows,
        numeric,
        notes: Vec::new(),
    }
}

/// Writes `bytes` to `path` whole or not at all: to a file beside it, then renamed over it.
pub fn replace(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = std::path::PathBuf::from(temporary);
    let mut file = std::fs::File::create(&temporary)?;
    std::io::Write::write_all(&mut file, bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&temporary, path)
}
