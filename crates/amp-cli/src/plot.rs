//! `--plot FILE`: answers drawn as pictures with `plotters`, in SVG or PNG by the file's
//! extension: lines for time series, bars for funnels, a heatmap for retention. The PNG's text
//! is anti-aliased `DejaVu Sans`, built in ([`Typeset`]), so no system font is needed.

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::answer::{Answer, Bars, Heatmap, Line};
use crate::chart::bounds;
use crate::human;
use crate::typeset::Typeset;

/// A picture's size in pixels (a heatmap's height follows its rows).
const SIZE: (u32, u32) = (960, 540);
/// A heatmap row's height in pixels.
const ROW: u32 = 40;
/// The font family every text is set in; plotters sets a size of `n` at about 0.8 `n` pixels.
const FONT: &str = "sans-serif";
/// Colours, one per series (the Tableau 10 palette's first six).
const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];
const INK: RGBColor = RGBColor(40, 40, 40);
const FAINT: RGBColor = RGBColor(235, 235, 235);

/// A picture's format, by its file's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Picture {
    /// Scalable vector graphics.
    Svg,
    /// A PNG image.
    Png,
}

impl Picture {
    /// The format `path` asks for, or why it cannot be drawn.
    pub fn of(path: &Path) -> Result<Self, String> {
        match path
            .extension()
            .and_then(|extension| extension.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("svg") => Ok(Self::Svg),
            Some("png") => Ok(Self::Png),
            _ => Err(format!(
                "--plot {}: name the file .svg or .png",
                path.display()
            )),
        }
    }
}

/// Writes a picture of `answer` to `path`: its bars, else its heatmaps, else its lines. The
/// file is written whole or not at all.
pub fn write(path: &Path, answer: &Answer, title: &str) -> Result<(), String> {
    let bytes = render(Picture::of(path)?, answer, title)?;
    crate::output::replace(path, &bytes)
        .map_err(|error| format!("--plot {}: {error}", path.display()))
}

/// `answer` drawn in `picture`'s format.
pub fn render(picture: Picture, answer: &Answer, title: &str) -> Result<Vec<u8>, String> {
    static FONTS: Once = Once::new();
    FONTS.call_once(|| {
        // The font is DejaVu's own file; it parses.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
    });
    let failed = |error: String| format!("cannot draw the picture: {error}");
    match picture {
        Picture::Svg => {
            let mut svg = String::new();
            draw(
                &SVGBackend::with_string(&mut svg, size(answer)).into_drawing_area(),
                answer,
                title,
            )
            .map_err(failed)?;
            Ok(svg.into_bytes())
        }
        Picture::Png => {
            let (width, height) = size(answer);
            let mut pixels = vec![0; width as usize * height as usize * 3];
            let bitmap = BitMapBackend::with_buffer(&mut pixels, (width, height));
            let typeset = Typeset::new(bitmap, dejavu::sans::regular()).map_err(failed)?;
            draw(&typeset.into_drawing_area(), answer, title).map_err(failed)?;
            let mut bytes = Vec::new();
            let mut encoder = png::Encoder::new(&mut bytes, width, height);
            encoder.set_color(png::ColorType::Rgb);
            encoder.set_depth(png::BitDepth::Eight);
            encoder
                .write_header()
                .and_then(|mut writer| writer.write_image_data(&pixels))
                .map_err(|error| failed(error.to_string()))?;
            Ok(bytes)
        }
    }
}

/// The picture's size: [`SIZE`], or for heatmaps as tall as their rows.
fn size(answer: &Answer) -> (u32, u32) {
    if answer.bars.is_some() || answer.heatmaps.is_empty() {
        return SIZE;
    }
    let rows = answer
        .heatmaps
        .iter()
        .map(|heatmap| {
            u32::try_from(heatmap.rows.len())
                .unwrap_or(u32::MAX)
                .saturating_add(2)
        })
        .fold(0_u32, u32::saturating_add);
    (
        SIZE.0,
        rows.saturating_mul(ROW).saturating_add(80).min(4 * SIZE.1),
    )
}

/// A drawing error as text.
fn text<E: std::fmt::Display>(error: E) -> String {
    error.to_string()
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    answer: &Answer,
    title: &str,
) -> Result<(), String> {
    root.fill(&WHITE).map_err(text)?;
    let body = root
        .titled(title, (FONT, 26).into_font().color(&INK))
        .map_err(text)?;
    if let Some(bars) = &answer.bars {
        draw_bars(&body, bars)?;
    } else if !answer.heatmaps.is_empty() {
        let panels = body.split_evenly((answer.heatmaps.len(), 1));
        for (panel, heatmap) in panels.iter().zip(&answer.heatmaps) {
            draw_heatmap(panel, heatmap)?;
        }
    } else {
        draw_lines(&body, &answer.lines)?;
    }
    root.present().map_err(text)
}

/// The colour of series `index`.
fn color(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}

/// Time series: one line per series (a missing value is a gap), its points marked, a legend.
fn draw_lines<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    lines: &[Line],
) -> Result<(), String> {
    let count = lines
        .iter()
        .map(|line| line.points.len())
        .max()
        .unwrap_or(0);
    let labels: Vec<&str> = lines
        .iter()
        .max_by_key(|line| line.points.len())
        .map(|line| {
            line.points
                .iter()
                .map(|(label, _)| label.as_str())
                .collect()
        })
        .unwrap_or_default();
    let (low, high) = bounds(lines);
    // Room above the highest value for the legend, a row of about 7% per series.
    #[allow(clippy::cast_precision_loss, reason = "a few series")]
    let high = high + (high - low) * (0.07 * lines.len() as f64 + 0.06);
    #[allow(clippy::cast_precision_loss, reason = "a chart's few dozen points")]
    let last = count.saturating_sub(1).max(1) as f64;
    let mut chart = ChartBuilder::on(area)
        .margin(20)
        .x_label_area_size(36)
        .y_label_area_size(72)
        .build_cartesian_2d(0.0..last, low..high)
        .map_err(text)?;
    let x_label = |x: &f64| {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "an index"
        )]
        let index = x.round() as usize;
        if (x - x.round()).abs() < 1e-9 {
            labels
                .get(index)
                .map_or_else(String::new, |label| (*label).to_owned())
        } else {
            String::new()
        }
    };
    let y_label = |y: &f64| human::count(*y);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(WHITE)
        .bold_line_style(FAINT)
        .x_labels(count.min(7))
        .x_label_formatter(&x_label)
        .y_labels(8)
        .y_label_formatter(&y_label)
        .label_style((FONT, 17).into_font().color(&INK))
        .draw()
        .map_err(text)?;
    for (index, line) in lines.iter().enumerate() {
        let color = color(index);
        #[allow(clippy::cast_precision_loss, reason = "a chart's few dozen points")]
        let points = line
            .points
            .iter()
            .enumerate()
            .map(|(x, (_, y))| y.map(|y| (x as f64, y)));
        let mut run = Vec::new();
        for point in points.chain([None]) {
            match point {
                Some(point) => run.push(point),
                None if !run.is_empty() => {
                    chart
                        .draw_series(LineSeries::new(run.drain(..), color.stroke_width(3)))
                        .map_err(text)?;
                }
                None => {}
            }
        }
        #[allow(clippy::cast_precision_loss, reason = "a chart's few dozen points")]
        let marks = line
            .points
            .iter()
            .enumerate()
            .filter_map(|(x, (_, y))| y.map(|y| Circle::new((x as f64, y), 3, color.filled())));
        chart
            .draw_series(marks)
            .map_err(text)?
            .label(line.label.clone())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(3)));
    }
    legend(&mut chart)
}

/// The series' legend, in the plot's upper right corner.
fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(FAINT)
        .label_font((FONT, 17).into_font().color(&INK))
        .draw()
        .map_err(text)
}

/// Funnels: one group of bars per step, one bar per funnel, each labelled with its users and
/// its share of its funnel's first step.
fn draw_bars<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, bars: &Bars) -> Result<(), String> {
    let largest = bars
        .funnels
        .iter()
        .flat_map(|(_, users)| users.iter().copied())
        .fold(0.0, f64::max)
        .max(1.0);
    #[allow(clippy::cast_precision_loss, reason = "a funnel's few steps")]
    let steps = bars.steps.len().max(1) as f64;
    let mut chart = ChartBuilder::on(area)
        .margin(20)
        .x_label_area_size(40)
        .y_label_area_size(72)
        .build_cartesian_2d(0.0..steps, 0.0..largest * 1.12)
        .map_err(text)?;
    let y_label = |y: &f64| human::count(*y);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .light_line_style(WHITE)
        .bold_line_style(FAINT)
        .y_labels(8)
        .y_label_formatter(&y_label)
        .y_desc("users")
        .label_style((FONT, 17).into_font().color(&INK))
        .axis_desc_style((FONT, 17).into_font().color(&INK))
        .draw()
        .map_err(text)?;
    #[allow(clippy::cast_precision_loss, reason = "a few funnels")]
    let width = 0.8 / bars.funnels.len().max(1) as f64;
    let value = (FONT, 16)
        .into_font()
        .color(&INK)
        .pos(Pos::new(HPos::Center, VPos::Bottom));
    for (index, (name, users)) in bars.funnels.iter().enumerate() {
        let color = color(index);
        let first = users.first().copied().unwrap_or(0.0);
        #[allow(clippy::cast_precision_loss, reason = "a funnel's few steps")]
        let placed: Vec<(f64, f64)> = users
            .iter()
            .enumerate()
            .map(|(step, users)| (step as f64 + 0.1 + width * index as f64, *users))
            .collect();
        chart
            .draw_series(placed.iter().map(|(x, users)| {
                Rectangle::new([(*x, 0.0), (x + width * 0.92, *users)], color.filled())
            }))
            .map_err(text)?
            .label(name.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], color.filled()));
        let labels = placed.iter().map(|(x, users)| {
            let share = if first > 0.0 { users / first } else { 0.0 };
            Text::new(
                format!("{} ({})", human::count(*users), human::percent(share)),
                (x + width * 0.46, *users + largest * 0.01),
                value.clone(),
            )
        });
        chart.draw_series(labels).map_err(text)?;
    }
    // The steps' names under their groups, in the label area below the plot.
    let under = (FONT, 17)
        .into_font()
        .color(&INK)
        .pos(Pos::new(HPos::Center, VPos::Top));
    for (step, event) in bars.steps.iter().enumerate() {
        #[allow(clippy::cast_precision_loss, reason = "a funnel's few steps")]
        let (x, y) = chart.backend_coord(&(step as f64 + 0.5, 0.0));
        let (left, top) = area.get_base_pixel();
        area.draw(&Text::new(
            format!("{}. {event}", step + 1),
            (x - left, y - top + 10),
            under.clone(),
        ))
        .map_err(text)?;
    }
    if bars.funnels.len() > 1 {
        legend(&mut chart)?;
    }
    Ok(())
}

/// The heatmap's colour for `share`: white at 0 to Amplitude's blue at 1.
fn shade(share: f64) -> RGBColor {
    let share = share.clamp(0.0, 1.0);
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "0 to 255"
    )]
    let channel = |to: u8| (255.0 - (255.0 - f64::from(to)) * share.sqrt()).round() as u8;
    RGBColor(channel(30), channel(97), channel(240))
}

/// Retention: one row per cohort, one cell per interval shaded by its share and labelled with
/// it (`*` not final yet); cells of intervals that have not begun stay empty.
fn draw_heatmap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    heatmap: &Heatmap,
) -> Result<(), String> {
    let area = match &heatmap.title {
        Some(title) => area
            .titled(title, (FONT, 16).into_font().color(&INK))
            .map_err(text)?,
        None => area.clone(),
    };
    let (width, height) = area.dim_in_pixel();
    let (left, top, margin) = (190_i32, 32_i32, 36_i32);
    let columns = i32::try_from(heatmap.columns.len().max(1)).unwrap_or(i32::MAX);
    let rows = i32::try_from(heatmap.rows.len().max(1)).unwrap_or(i32::MAX);
    let cell_width = (i32::try_from(width).unwrap_or(i32::MAX) - left - margin) / columns;
    let cell_height = ((i32::try_from(height).unwrap_or(i32::MAX) - top - margin) / rows)
        .min(i32::try_from(ROW).unwrap_or(i32::MAX));
    let font = (FONT, 16).into_font();
    let centred = Pos::new(HPos::Center, VPos::Center);
    for (column, label) in (0..).zip(&heatmap.columns) {
        let x = left + column * cell_width + cell_width / 2;
        area.draw(&Text::new(
            label.clone(),
            (x, top / 2),
            font.color(&INK).pos(centred),
        ))
        .map_err(text)?;
    }
    for (row, (label, cells)) in (0..).zip(&heatmap.rows) {
        let y = top + row * cell_height;
        area.draw(&Text::new(
            label.clone(),
            (left - 10, y + cell_height / 2),
            font.color(&INK).pos(Pos::new(HPos::Right, VPos::Center)),
        ))
        .map_err(text)?;
        for (column, cell) in (0..).zip(cells) {
            let Some((share, final_)) = cell else {
                continue;
            };
            let x = left + column * cell_width;
            area.draw(&Rectangle::new(
                [(x + 1, y + 1), (x + cell_width - 1, y + cell_height - 1)],
                shade(*share).filled(),
            ))
            .map_err(text)?;
            let ink = if *share > 0.45 { WHITE } else { INK };
            let mark = if *final_ { "" } else { "*" };
            area.draw(&Text::new(
                format!("{}{mark}", human::percent(*share)),
                (x + cell_width / 2, y + cell_height / 2),
                font.color(&ink).pos(centred),
            ))
            .map_err(text)?;
        }
    }
    area.draw(&Text::new(
        "share of the cohort retained; * not final yet; blank: not begun",
        (left, top + rows * cell_height + 12),
        font.color(&INK).pos(Pos::new(HPos::Left, VPos::Top)),
    ))
    .map_err(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer() -> Answer {
        Answer::default()
    }

    /// The PNG decoded: its pixels, as RGB.
    fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().expect("a PNG");
        let mut pixels = vec![0; reader.output_buffer_size().expect("a size")];
        let info = reader.next_frame(&mut pixels).expect("a frame");
        assert_eq!(info.color_type, png::ColorType::Rgb);
        pixels.truncate(info.buffer_size());
        (info.width, info.height, pixels)
    }

    /// How many pixels are close to `color`, and how many are not white.
    fn census(pixels: &[u8], color: RGBColor) -> (usize, usize) {
        let near = |pixel: &[u8]| {
            pixel
                .iter()
                .zip([color.0, color.1, color.2])
                .all(|(a, b)| a.abs_diff(b) < 12)
        };
        let colored = pixels.chunks(3).filter(|pixel| near(pixel)).count();
        let inked = pixels
            .chunks(3)
            .filter(|pixel| pixel.iter().any(|c| *c < 250))
            .count();
        (colored, inked)
    }

    /// Grey levels between black and white: anti-aliased text and lines.
    fn greys(pixels: &[u8]) -> usize {
        let mut seen = std::collections::BTreeSet::new();
        for pixel in pixels.chunks(3) {
            if pixel[0] == pixel[1] && pixel[1] == pixel[2] {
                seen.insert(pixel[0]);
            }
        }
        seen.len()
    }

    fn lines() -> Vec<Line> {
        let line = |label: &str, values: &[Option<f64>]| Line {
            label: label.into(),
            points: values
                .iter()
                .enumerate()
                .map(|(day, value)| (format!("2026-11-{:02}", day + 1), *value))
                .collect(),
        };
        vec![
            line("iOS", &[Some(120.0), Some(180.0), None, Some(150.0)]),
            line(
                "Android",
                &[Some(80.0), Some(60.0), Some(90.0), Some(110.0)],
            ),
        ]
    }

    #[test]
    fn a_line_chart_is_drawn_with_each_series_colour_and_text() {
        let answer = Answer {
            lines: lines(),
            ..answer()
        };
        let (width, height, pixels) = decode(&render(Picture::Png, &answer, "Plays").unwrap());
        assert_eq!((width, height), SIZE);
        for series in 0..2 {
            let (colored, _) = census(&pixels, color(series));
            assert!(colored > 300, "series {series}: {colored} pixels");
        }
        let (_, inked) = census(&pixels, INK);
        assert!(inked > 5_000, "{inked} pixels drawn");
        assert!(greys(&pixels) > 50, "the text is anti-aliased");
        let svg = String::from_utf8(render(Picture::Svg, &answer, "Plays").unwrap()).unwrap();
        for text in ["Plays", "iOS", "Android", "2026-11-01"] {
            assert!(svg.contains(text), "{text} in the SVG");
        }
    }

    #[test]
    fn a_funnel_is_drawn_as_bars_labelled_with_users_and_shares() {
        let answer = Answer {
            bars: Some(Bars {
                steps: vec!["Search".into(), "Select".into(), "Play".into()],
                funnels: vec![
                    ("iOS".into(), vec![1_000.0, 650.0, 400.0]),
                    ("Android".into(), vec![800.0, 500.0, 100.0]),
                ],
            }),
            ..answer()
        };
        let (_, _, pixels) = decode(&render(Picture::Png, &answer, "Funnel").unwrap());
        let (ios, _) = census(&pixels, color(0));
        let (android, _) = census(&pixels, color(1));
        // Bars are areas: thousands of pixels, iOS's larger than Android's.
        assert!(ios > 10_000 && android > 5_000, "{ios} {android}");
        assert!(ios > android, "{ios} {android}");
        let svg = String::from_utf8(render(Picture::Svg, &answer, "Funnel").unwrap()).unwrap();
        for text in [
            "1. Search",
            "3. Play",
            "1,000 (100.0%)",
            "100 (12.5%)",
            "Android",
        ] {
            assert!(svg.contains(text), "{text} in the SVG");
        }
    }

    #[test]
    fn retention_is_drawn_as_a_heatmap_with_blank_cells_where_nothing_began() {
        let answer = Answer {
            heatmaps: vec![Heatmap {
                title: None,
                columns: vec!["Week 0".into(), "Week 1".into(), "Week 2".into()],
                rows: vec![
                    (
                        "2026-11-02 (400)".into(),
                        vec![Some((1.0, true)), Some((0.5, true)), Some((0.25, false))],
                    ),
                    (
                        "2026-11-09 (300)".into(),
                        vec![Some((1.0, true)), Some((0.4, false)), None],
                    ),
                ],
            }],
            ..answer()
        };
        let (_, _, pixels) = decode(&render(Picture::Png, &answer, "Retention").unwrap());
        let (full, _) = census(&pixels, shade(1.0));
        let (half, _) = census(&pixels, shade(0.5));
        assert!(full > 10_000, "two cells at 100%: {full}");
        assert!(half > 5_000, "one cell at 50%: {half}");
        let svg = String::from_utf8(render(Picture::Svg, &answer, "Retention").unwrap()).unwrap();
        for text in ["Week 2", "2026-11-09 (300)", "50.0%", "25.0%*"] {
            assert!(svg.contains(text), "{text} in the SVG");
        }
        // Five cells drawn, the sixth has not begun.
        let cells = svg
            .lines()
            .filter(|line| line.ends_with('%') || line.ends_with("%*"))
            .count();
        assert_eq!(cells, 5, "{svg}");
    }
}
