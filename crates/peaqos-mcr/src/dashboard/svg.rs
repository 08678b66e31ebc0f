//! Server-rendered SVG charts: a bar chart and the score line chart. Every label goes through
//! [`esc`]; each mark carries its number in a `data-value` (or `data-score`) attribute and a
//! `<title>`, so a reader without the picture (and a test) gets the same figures.

use super::html::esc;
use peaqos_types::rating::Rating;
use std::fmt::Write as _;

const W: f64 = 720.0;
const H: f64 = 260.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 40.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 44.0;

/// One bar.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Bar {
    /// X label (escaped when drawn).
    pub(crate) label: String,
    /// Height.
    pub(crate) value: f64,
    /// The value as shown in the tooltip (escaped when drawn).
    pub(crate) shown: String,
}

/// Fill of a rating (dark enough for white text and for a 3:1 contrast on white).
pub(crate) fn rating_color(r: Rating) -> &'static str {
    match r {
        Rating::AAA => "#065f46",
        Rating::AA => "#047857",
        Rating::A => "#1d4ed8",
        Rating::BBB => "#4338ca",
        Rating::BB => "#b45309",
        Rating::B => "#b91c1c",
        Rating::NR => "#4b5563",
        Rating::Provisioned => "#6b7280",
    }
}

fn open(id: &str, title: &str, desc: &str) -> String {
    format!(
        "<svg class=\"chart\" id=\"{id}\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" \
         width=\"{W}\" height=\"{H}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\">\
         <title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>\
         <rect x=\"0\" y=\"0\" width=\"{W}\" height=\"{H}\" fill=\"#ffffff\"/>",
        esc(title),
        esc(desc),
        id = esc(id),
    )
}

/// Which of `n` x labels are drawn: all up to 8, else about 6 evenly spaced ones.
fn which_labels(n: usize) -> impl Fn(usize) -> bool {
    let step = n.div_ceil(6).max(1);
    move |i| n <= 8 || i % step == 0
}

/// The drawn form of an x label: `MM-DD` of an ISO date (the full label stays in the
/// `data-label` and the tooltip).
fn short(label: &str) -> &str {
    let b = label.as_bytes();
    if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
        &label[5..]
    } else {
        label
    }
}

fn axis(s: &mut String, max: f64, y_label: &str) {
    let plot_h = H - TOP - BOTTOM;
    let _ = write!(
        s,
        "<line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{y0}\" stroke=\"#111827\"/>\
         <line x1=\"{LEFT}\" y1=\"{y0}\" x2=\"{x1}\" y2=\"{y0}\" stroke=\"#111827\"/>",
        y0 = TOP + plot_h,
        x1 = W - RIGHT,
    );
    for k in 0..=4 {
        let v = max * f64::from(k) / 4.0;
        let y = TOP + plot_h - plot_h * f64::from(k) / 4.0;
        let _ = write!(
            s,
            "<line x1=\"{x0}\" y1=\"{y:.1}\" x2=\"{LEFT}\" y2=\"{y:.1}\" stroke=\"#111827\"/>\
             <text x=\"{tx}\" y=\"{ty:.1}\" text-anchor=\"end\">{}</text>",
            tick(v),
            x0 = LEFT - 4.0,
            tx = LEFT - 6.0,
            ty = y + 4.0,
        );
    }
    let _ = write!(
        s,
        "<text x=\"12\" y=\"{cy}\" transform=\"rotate(-90 12 {cy})\" text-anchor=\"middle\">{}</text>",
        esc(y_label),
        cy = TOP + plot_h / 2.0,
    );
}

fn tick(v: f64) -> String {
    if v >= 100.0 || (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// A bar chart; an empty `bars` draws the axes and a "no data" note (and no `rect.bar`).
pub(crate) fn bar_chart(id: &str, title: &str, y_label: &str, bars: &[Bar], fill: &str) -> String {
    let mut s = open(id, title, &format!("{} bars", bars.len()));
    let max = bars.iter().map(|b| b.value).fold(0.0f64, f64::max);
    // Whole counts get whole ticks: the axis ends at the next multiple of 4.
    let whole = bars.iter().all(|b| b.value.fract() == 0.0);
    let max = match (max > 0.0, whole) {
        (false, _) => 4.0,
        (true, true) => (max / 4.0).ceil() * 4.0,
        (true, false) => max,
    };
    axis(&mut s, max, y_label);
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    if bars.is_empty() {
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">no data</text>",
            LEFT + plot_w / 2.0,
            TOP + plot_h / 2.0
        );
    }
    let slot = plot_w / bars.len().max(1) as f64;
    let bw = (slot * 0.7).max(1.0);
    let label = which_labels(bars.len());
    for (i, b) in bars.iter().enumerate() {
        let h = plot_h * (b.value.max(0.0) / max);
        let x = LEFT + slot * i as f64 + (slot - bw) / 2.0;
        let y = TOP + plot_h - h;
        let _ = write!(
            s,
            "<rect class=\"bar\" data-label=\"{l}\" data-value=\"{v}\" x=\"{x:.1}\" y=\"{y:.1}\" \
             width=\"{bw:.1}\" height=\"{h:.1}\" fill=\"{fill}\"><title>{l}: {v}</title></rect>",
            l = esc(&b.label),
            v = esc(&b.shown),
        );
        if label(i) {
            let _ = write!(
                s,
                "<text x=\"{cx:.1}\" y=\"{ty}\" text-anchor=\"middle\">{}</text>",
                esc(short(&b.label)),
                cx = x + bw / 2.0,
                ty = H - BOTTOM + 16.0,
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// One point of the score chart.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ScorePoint {
    /// X label (a date).
    pub(crate) label: String,
    /// `mcr_score`.
    pub(crate) score: u8,
    /// `mcr`.
    pub(crate) rating: Rating,
}

/// The score (0..=100) over time as a line with one marker per day, coloured by its rating,
/// and the letters' thresholds as dashed lines.
pub(crate) fn score_chart(id: &str, title: &str, points: &[ScorePoint]) -> String {
    let mut s = open(
        id,
        title,
        &format!("{} daily points of mcr_score, 0 to 100", points.len()),
    );
    axis(&mut s, 100.0, "mcr_score");
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let y_of = |v: f64| TOP + plot_h - plot_h * v / 100.0;
    for (r, t) in Rating::ALL
        .into_iter()
        .filter_map(|r| r.threshold().map(|t| (r, t)))
    {
        let t = f64::from(t);
        let _ = write!(
            s,
            "<line class=\"threshold\" x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{x1}\" y2=\"{y:.1}\" \
             stroke=\"#9ca3af\" stroke-dasharray=\"4 3\"/><text x=\"{tx}\" y=\"{ty:.1}\">{}</text>",
            r.as_str(),
            y = y_of(t),
            x1 = W - RIGHT,
            tx = W - RIGHT + 4.0,
            ty = y_of(t) + 4.0,
        );
    }
    if points.is_empty() {
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">no data</text>",
            LEFT + plot_w / 2.0,
            TOP + plot_h / 2.0
        );
        s.push_str("</svg>");
        return s;
    }
    let step = if points.len() > 1 {
        plot_w / (points.len() - 1) as f64
    } else {
        0.0
    };
    let x_of = |i: usize| {
        if points.len() > 1 {
            LEFT + step * i as f64
        } else {
            LEFT + plot_w / 2.0
        }
    };
    let mut d = String::new();
    for (i, p) in points.iter().enumerate() {
        let _ = write!(
            d,
            "{}{:.1} {:.1}",
            if i == 0 { "M" } else { " L" },
            x_of(i),
            y_of(f64::from(p.score))
        );
    }
    let _ = write!(
        s,
        "<path class=\"line\" d=\"{d}\" fill=\"none\" stroke=\"#1d4ed8\" stroke-width=\"2\"/>"
    );
    let label = which_labels(points.len());
    for (i, p) in points.iter().enumerate() {
        let _ = write!(
            s,
            "<circle class=\"point\" data-label=\"{l}\" data-score=\"{sc}\" data-rating=\"{r}\" \
             cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"4\" fill=\"{f}\"><title>{l}: {sc} ({r})</title></circle>",
            l = esc(&p.label),
            sc = p.score,
            r = p.rating.as_str(),
            cx = x_of(i),
            cy = y_of(f64::from(p.score)),
            f = rating_color(p.rating),
        );
        if label(i) {
            let _ = write!(
                s,
                "<text x=\"{cx:.1}\" y=\"{ty}\" text-anchor=\"middle\">{}</text>",
                esc(short(&p.label)),
                cx = x_of(i),
                ty = H - BOTTOM + 16.0,
            );
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_carry_their_values_and_escape_labels() {
        let bars = vec![
            Bar {
                label: "<b>".into(),
                value: 3.0,
                shown: "3".into(),
            },
            Bar {
                label: "x".into(),
                value: 0.0,
                shown: "0".into(),
            },
        ];
        let s = bar_chart("c\"1", "T<", "y", &bars, "#000000");
        assert_eq!(s.matches("<rect class=\"bar\"").count(), 2);
        assert!(s.contains("data-value=\"3\""));
        assert!(s.contains("&lt;b&gt;") && !s.contains("<b>"));
        assert!(s.contains("id=\"c&quot;1\""));
        let empty = bar_chart("e", "T", "y", &[], "#000000");
        assert!(empty.contains("no data") && !empty.contains("class=\"bar\""));
    }

    #[test]
    fn the_score_line_has_one_vertex_per_day() {
        let pts: Vec<ScorePoint> = (0..5)
            .map(|i| ScorePoint {
                label: format!("d{i}"),
                score: i * 20,
                rating: Rating::BB,
            })
            .collect();
        let s = score_chart("s", "Score", &pts);
        let d = s
            .split("class=\"line\" d=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert_eq!(d.matches(['M', 'L']).count(), 5);
        assert_eq!(s.matches("class=\"point\"").count(), 5);
        assert!(s.contains("data-score=\"80\""));
        assert!(score_chart("s", "Score", &[]).contains("no data"));
        assert_eq!(short("2026-03-01"), "03-01");
        assert_eq!(short("self (0)"), "self (0)");
        let labels = which_labels(30);
        assert_eq!((0..30).filter(|i| labels(*i)).count(), 6);
        let all = which_labels(8);
        assert!((0..8).all(all));
    }
}
