//! Text on a PNG set glyph by glyph: each glyph at its own bearing, all on one baseline.
//! plotters 0.3.7 draws bitmap text without the glyphs' left bearings and places small glyphs
//! (`.`, `,`) off the baseline, so `82.4%` reads `82·4%`; this backend wraps its bitmap and
//! sets the text itself, in the same `DejaVu Sans` at the size the SVG asks its viewer for.

use ab_glyph::{Font as _, FontRef, Glyph, PxScale, ScaleFont as _, point};
use plotters::prelude::*;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};

/// A bitmap backend whose text it sets itself, glyph by glyph.
pub struct Typeset<'a> {
    bitmap: BitMapBackend<'a>,
    font: FontRef<'static>,
}

type Failure = DrawingErrorKind<<BitMapBackend<'static> as DrawingBackend>::ErrorType>;

/// A line of text laid out at the origin: its glyphs, width and height in pixels.
struct Laid {
    glyphs: Vec<Glyph>,
    width: f32,
    height: f32,
}

impl<'a> Typeset<'a> {
    /// `bitmap` with its text set in `font` (a whole TrueType file).
    pub fn new(bitmap: BitMapBackend<'a>, font: &'static [u8]) -> Result<Self, String> {
        let font = FontRef::try_from_slice(font).map_err(|error| error.to_string())?;
        Ok(Self { bitmap, font })
    }

    /// `text` laid out for a font of plotters' `size`, whose em is `size / 1.24` pixels (as
    /// plotters' SVG writes it).
    fn lay(&self, text: &str, size: f64) -> Laid {
        #[allow(clippy::cast_possible_truncation, reason = "a font size")]
        let em = (size / 1.24) as f32;
        let per_em = self.font.units_per_em().unwrap_or(2048.0);
        let scale = PxScale::from(em * self.font.height_unscaled() / per_em);
        let scaled = self.font.as_scaled(scale);
        let mut caret = 0.0;
        let mut previous = None;
        let glyphs = text
            .chars()
            .map(|character| {
                let id = scaled.glyph_id(character);
                if let Some(previous) = previous {
                    caret += scaled.kern(previous, id);
                }
                previous = Some(id);
                let glyph = id.with_scale_and_position(scale, point(caret, scaled.ascent()));
                caret += scaled.h_advance(id);
                glyph
            })
            .collect();
        Laid {
            glyphs,
            width: caret,
            height: scaled.ascent() - scaled.descent(),
        }
    }
}

#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    reason = "pixel coordinates of a picture a thousand pixels wide"
)]
impl DrawingBackend for Typeset<'_> {
    type ErrorType = <BitMapBackend<'static> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.bitmap.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), Failure> {
        self.bitmap.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), Failure> {
        self.bitmap.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result<(), Failure> {
        self.bitmap.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), Failure> {
        self.bitmap.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), Failure> {
        self.bitmap.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), Failure> {
        self.bitmap.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), Failure> {
        self.bitmap.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), Failure> {
        self.bitmap.fill_polygon(vert, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), Failure> {
        self.bitmap.blit_bitmap(pos, size, src)
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), Failure> {
        let color = style.color();
        let laid = self.lay(text, style.size());
        let anchor = style.anchor();
        let dx = match anchor.h_pos {
            HPos::Left => 0.0,
            HPos::Center => -laid.width / 2.0,
            HPos::Right => -laid.width,
        };
        let dy = match anchor.v_pos {
            VPos::Top => 0.0,
            VPos::Center => -laid.height / 2.0,
            VPos::Bottom => -laid.height,
        };
        let turn = style.transform();
        let (width, height) = self.get_size();
        let mut inked = Vec::new();
        for glyph in laid.glyphs {
            let Some(outline) = self.font.outline_glyph(glyph) else {
                continue;
            };
            let bounds = outline.px_bounds();
            outline.draw(|x, y, coverage| {
                let (x, y) = turn.transform(
                    (bounds.min.x + dx).round() as i32 + x as i32,
                    (bounds.min.y + dy).round() as i32 + y as i32,
                );
                inked.push(((pos.0 + x, pos.1 + y), coverage));
            });
        }
        for ((x, y), coverage) in inked {
            if (0..width as i32).contains(&x) && (0..height as i32).contains(&y) {
                let alpha = color.alpha * f64::from(coverage.min(1.0));
                self.bitmap
                    .draw_pixel((x, y), BackendColor { alpha, ..color })?;
            }
        }
        Ok(())
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), Failure> {
        let laid = self.lay(text, style.size());
        Ok((laid.width.ceil() as u32, laid.height.ceil() as u32))
    }
}
