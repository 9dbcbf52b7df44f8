//! Time series drawn: a line chart in the terminal (`--chart`), or a picture in SVG or PNG
//! (`--plot FILE`). Both need no fonts or C libraries: the PNG's text is drawn with an 8×8
//! bitmap font.

use std::fmt::Write as _;
use std::path::Path;

use crate::answer::Line;
use crate::output::cell;

/// Markers for the terminal, one per series.
const MARKERS: [char; 6] = ['●', '○', '■', '□', '▲', '◆'];
/// Colours for pictures, one per series.
const PALETTE: [[u8; 3]; 6] = [
    [31, 119, 180],
    [255, 127, 14],
    [44, 160, 44],
    [214, 39, 40],
    [148, 103, 189],
    [140, 86, 75],
];

/// The lowest and highest value, widened so a flat line sits in the middle and zero is shown
/// when every value is positive.
fn bounds(lines: &[Line]) -> (f64, f64) {
    let values = lines
        .iter()
        .flat_map(|line| line.points.iter().filter_map(|(_, y)| *y));
    let (low, high) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(low, high), y| {
        (low.min(y), high.max(y))
    });
    let low = if low.is_finite() { low.min(0.0) } else { 0.0 };
    let high = if high.is_finite() { high } else { 1.0 };
    let high = if high > low { high } else { low + 1.0 };
    // Round outwards to a multiple of a round quarter (1, 2, 2.5 or 5 times a power of ten).
    let quarter = (high - low) / 4.0;
    let power = 10_f64.powf(quarter.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|factor| factor * power)
        .find(|step| *step >= quarter)
        .unwrap_or(quarter);
    ((low / step).floor() * step, (high / step).ceil() * step)
}

fn number(value: f64) -> String {
    cell(
        serde_json::Number::from_f64(value)
            .map(serde_json::Value::Number)
            .as_ref(),
    )
}

/// A line chart for the terminal, `width` × `height` characters of plot area.
pub fn terminal(lines: &[Line], width: usize, height: usize) -> String {
    let lines = &lines[..lines.len().min(MARKERS.len())];
    let Some(count) = lines.iter().map(|line| line.points.len()).max() else {
        return String::new();
    };
    let (low, high) = bounds(lines);
    let mut grid = vec![vec![' '; width]; height];
    let column = |index: usize| {
        if count > 1 {
            index * (width - 1) / (count - 1)
        } else {
            0
        }
    };
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "a row of a small grid, clamped"
    )]
    let row = |value: f64| {
        let share = (value - low) / (high - low);
        (height - 1) - ((share * (height - 1) as f64).round() as usize).min(height - 1)
    };
    for (series, line) in lines.iter().enumerate() {
        // A missing value is a gap: no line to it or from it.
        for pair in line.points.windows(2).enumerate() {
            let (index, [(_, Some(from)), (_, Some(to))]) = pair else {
                continue;
            };
            let (start, end) = (column(index), column(index + 1));
            for x in start + 1..end {
                #[allow(clippy::cast_precision_loss, reason = "small grid")]
                let share = (x - start) as f64 / (end - start) as f64;
                let at = row(from + (to - from) * share);
                if let Some(cell) = grid[at].get_mut(x).filter(|cell| **cell == ' ') {
                    *cell = '·';
                }
            }
        }
        for (index, (_, value)) in line.points.iter().enumerate() {
            if let Some(value) = value {
                grid[row(*value)][column(index)] = MARKERS[series];
            }
        }
    }
    let labels = [number(high), number(f64::midpoint(low, high)), number(low)];
    let gutter = labels.iter().map(String::len).max().unwrap_or(0);
    let mut text = String::new();
    for (index, cells) in grid.iter().enumerate() {
        let label = match index {
            0 => &labels[0],
            _ if index == height / 2 => &labels[1],
            _ if index == height - 1 => &labels[2],
            _ => "",
        };
        let cells: String = cells.iter().collect();
        let _ = writeln!(text, "{label:>gutter$} ┤{}", cells.trim_end());
    }
    let _ = writeln!(text, "{:gutter$} └{}", "", "─".repeat(width));
    let points = &lines[0].points;
    if let (Some((first, _)), Some((last, _))) = (points.first(), points.last()) {
        let room = width.saturating_sub(first.chars().count());
        let _ = writeln!(text, "{:gutter$}  {first}{last:>room$}", "");
    }
    for (series, line) in lines.iter().enumerate() {
        let _ = writeln!(text, "{:gutter$}  {} {}", "", MARKERS[series], line.label);
    }
    text
}

/// Where a picture's text hangs from its point.
#[derive(Clone, Copy)]
enum Anchor {
    Start,
    Middle,
    End,
}

/// What a picture is drawn on.
trait Canvas {
    fn line(&mut self, from: (f64, f64), to: (f64, f64), color: [u8; 3], width: f64);
    fn text(&mut self, at: (f64, f64), text: &str, anchor: Anchor);
}

const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 540.0;
const GREY: [u8; 3] = [200, 200, 200];
const INK: [u8; 3] = [40, 40, 40];

/// Draws the axes, grid, labels, lines and legend.
fn draw(canvas: &mut dyn Canvas, lines: &[Line], title: &str) {
    let lines = &lines[..lines.len().min(PALETTE.len())];
    let (left, right, top, bottom) = (90.0, WIDTH - 30.0, 70.0, HEIGHT - 50.0);
    let (low, high) = bounds(lines);
    let count = lines
        .iter()
        .map(|line| line.points.len())
        .max()
        .unwrap_or(1);
    #[allow(clippy::cast_precision_loss, reason = "small counts")]
    let x = |index: usize| {
        if count > 1 {
            left + (right - left) * index as f64 / (count - 1) as f64
        } else {
            f64::midpoint(left, right)
        }
    };
    let y = |value: f64| bottom - (bottom - top) * (value - low) / (high - low);
    canvas.text((left, 30.0), title, Anchor::Start);
    for tick in 0..=4 {
        let value = low + (high - low) * f64::from(tick) / 4.0;
        canvas.line((left, y(value)), (right, y(value)), GREY, 1.0);
        canvas.text((left - 10.0, y(value) + 4.0), &number(value), Anchor::End);
    }
    canvas.line((left, top), (left, bottom), INK, 1.0);
    canvas.line((left, bottom), (right, bottom), INK, 1.0);
    if let Some(longest) = lines.iter().max_by_key(|line| line.points.len()) {
        let step = longest.points.len().div_ceil(6).max(1);
        for (index, (label, _)) in longest.points.iter().enumerate().step_by(step) {
            canvas.line((x(index), bottom), (x(index), bottom + 5.0), INK, 1.0);
            canvas.text((x(index), bottom + 22.0), label, Anchor::Middle);
        }
    }
    let mut legend = left;
    for (series, line) in lines.iter().enumerate() {
        let color = PALETTE[series];
        for pair in line.points.windows(2).enumerate() {
            let (index, [(_, Some(from)), (_, Some(to))]) = pair else {
                continue;
            };
            canvas.line((x(index), y(*from)), (x(index + 1), y(*to)), color, 2.5);
        }
        canvas.line((legend, 52.0), (legend + 20.0, 52.0), color, 4.0);
        canvas.text((legend + 26.0, 56.0), &line.label, Anchor::Start);
        #[allow(clippy::cast_precision_loss, reason = "short labels")]
        let advance = 50.0 + 8.0 * line.label.chars().count() as f64;
        legend += advance;
    }
}

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

/// Writes a picture of `lines` to `path`, as SVG or PNG by its extension.
pub fn plot(path: &Path, lines: &[Line], title: &str) -> Result<(), String> {
    let bytes = match Picture::of(path)? {
        Picture::Svg => {
            let mut svg = Svg(String::new());
            draw(&mut svg, lines, title);
            svg.finish().into_bytes()
        }
        Picture::Png => {
            let mut raster = Raster::new();
            draw(&mut raster, lines, title);
            raster.finish()?
        }
    };
    std::fs::write(path, bytes).map_err(|error| format!("--plot {}: {error}", path.display()))
}

/// An SVG document.
struct Svg(String);

impl Svg {
    fn finish(self) -> String {
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" font-family=\"sans-serif\" font-size=\"13\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n{}</svg>\n",
            self.0
        )
    }
}

impl Canvas for Svg {
    fn line(&mut self, from: (f64, f64), to: (f64, f64), [r, g, b]: [u8; 3], width: f64) {
        let _ = writeln!(
            self.0,
            "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"rgb({r},{g},{b})\" stroke-width=\"{width}\" stroke-linecap=\"round\"/>",
            from.0, from.1, to.0, to.1
        );
    }

    fn text(&mut self, at: (f64, f64), text: &str, anchor: Anchor) {
        let anchor = match anchor {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        };
        let escaped = text
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        let _ = writeln!(
            self.0,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\" fill=\"rgb(40,40,40)\">{escaped}</text>",
            at.0, at.1
        );
    }
}

/// An RGB image.
struct Raster {
    pixels: Vec<u8>,
}

#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "pixel coordinates, checked against the image"
)]
impl Raster {
    const W: usize = WIDTH as usize;
    const H: usize = HEIGHT as usize;

    fn new() -> Self {
        Self {
            pixels: vec![255; Self::W * Self::H * 3],
        }
    }

    fn dot(&mut self, x: f64, y: f64, color: [u8; 3]) {
        if x < 0.0 || y < 0.0 {
            return;
        }
        let (x, y) = (x as usize, y as usize);
        if x < Self::W && y < Self::H {
            let at = (y * Self::W + x) * 3;
            self.pixels[at..at + 3].copy_from_slice(&color);
        }
    }

    fn finish(self) -> Result<Vec<u8>, String> {
        let mut bytes = Vec::new();
        let mut encoder = png::Encoder::new(&mut bytes, Self::W as u32, Self::H as u32);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder
            .write_header()
            .and_then(|mut writer| writer.write_image_data(&self.pixels))
            .map_err(|error| format!("cannot encode the PNG: {error}"))?;
        Ok(bytes)
    }
}

impl Canvas for Raster {
    fn line(&mut self, from: (f64, f64), to: (f64, f64), color: [u8; 3], width: f64) {
        let steps = (to.0 - from.0)
            .abs()
            .max((to.1 - from.1).abs())
            .ceil()
            .max(1.0);
        let radius = (width / 2.0).max(0.5);
        let mut step = 0.0;
        while step <= steps {
            let (x, y) = (
                from.0 + (to.0 - from.0) * step / steps,
                from.1 + (to.1 - from.1) * step / steps,
            );
            let mut dy = -radius;
            while dy < radius {
                let mut dx = -radius;
                while dx < radius {
                    self.dot(x + dx, y + dy, color);
                    dx += 1.0;
                }
                dy += 1.0;
            }
            step += 1.0;
        }
    }

    fn text(&mut self, at: (f64, f64), text: &str, anchor: Anchor) {
        use font8x8::UnicodeFonts as _;
        #[allow(clippy::cast_precision_loss, reason = "short labels")]
        let width = 8.0 * text.chars().count() as f64;
        let left = match anchor {
            Anchor::Start => at.0,
            Anchor::Middle => at.0 - width / 2.0,
            Anchor::End => at.0 - width,
        };
        let top = at.1 - 9.0;
        for (index, character) in text.chars().enumerate() {
            let glyph = font8x8::BASIC_FONTS
                .get(character)
                .or_else(|| font8x8::LATIN_FONTS.get(character))
                .unwrap_or(font8x8::BASIC_FONTS.get('?').unwrap_or([0; 8]));
            #[allow(clippy::cast_precision_loss, reason = "short labels")]
            let x = left + 8.0 * index as f64;
            for (row, bits) in glyph.iter().enumerate() {
                for bit in 0..8_u8 {
                    if bits & (1 << bit) != 0 {
                        #[allow(clippy::cast_precision_loss, reason = "0..8")]
                        self.dot(x + f64::from(bit), top + row as f64, INK);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_value_is_a_gap_not_a_zero() {
        let line = |values: &[Option<f64>]| Line {
            label: "Today".into(),
            points: values
                .iter()
                .enumerate()
                .map(|(x, value)| (x.to_string(), *value))
                .collect(),
        };
        let whole = terminal(&[line(&[Some(4.0), Some(4.0), Some(4.0)])], 30, 5);
        let gapped = terminal(&[line(&[Some(4.0), None, Some(4.0)])], 30, 5);
        let count = |text: &str, wanted: char| text.chars().filter(|c| *c == wanted).count();
        // One marker in the legend besides those on the plot.
        assert_eq!(count(&whole, '●'), 3 + 1, "{whole}");
        assert_eq!(count(&gapped, '●'), 2 + 1, "{gapped}");
        assert!(count(&whole, '·') > 0, "{whole}");
        assert_eq!(count(&gapped, '·'), 0, "no line across the gap: {gapped}");
        let bottom = gapped.lines().nth(4).unwrap();
        assert!(!bottom.contains('●'), "nothing drawn at 0: {gapped}");
    }
}
