//! The confusion matrix as an SVG heat map: rows are true labels, columns predictions, each
//! cell shaded by the share of its row (so small labels read as clearly as large ones) and
//! labelled with its count.

use crate::metrics::Evaluation;
use svg::Document;
use svg::node::element::{Rectangle, Text, Title};

const CELL: usize = 56;
const FONT: &str = "DejaVu Sans, Arial, Helvetica, sans-serif";

/// The SVG document of `evaluation`'s confusion matrix, under `title`.
pub fn confusion_svg(evaluation: &Evaluation, title: &str) -> String {
    // XML refuses control characters and noncharacters even escaped: a file name or an old
    // model's label may hold them.
    let title = &crate::error::printable_text(title);
    let labels: Vec<String> = evaluation
        .labels
        .iter()
        .map(|label| crate::error::printable_text(label))
        .collect();
    let n = labels.len();
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(1);
    let margin_left = 24 + longest * 8;
    let margin_top = 70 + longest * 6;
    let subtitle = format!(
        "{} documents · accuracy {:.4} · macro-F1 {:.4} · rows: true label, columns: predicted",
        evaluation.total(),
        evaluation.accuracy(),
        evaluation.macro_f1()
    );
    // Wide enough for the grid and for the two text lines (about 9 and 6.5 px a character).
    let width = (margin_left + n * CELL + 40)
        .max(24 + title.chars().count() * 9)
        .max(24 + subtitle.chars().count() * 13 / 2);
    let height = margin_top + n * CELL + 60;

    let text = |x: usize, y: usize, content: String, size: usize| {
        Text::new(content)
            .set("x", x)
            .set("y", y)
            .set("font-family", FONT)
            .set("font-size", size)
    };
    let mut document = Document::new()
        .set("viewBox", (0, 0, width, height))
        .set("width", width)
        .set("height", height)
        .add(Title::new(title.to_string()))
        .add(
            Rectangle::new()
                .set("width", width)
                .set("height", height)
                .set("fill", "white"),
        )
        .add(text(12, 24, title.to_string(), 15).set("font-weight", "bold"))
        .add(text(12, 44, subtitle, 11));
    for (i, label) in labels.iter().enumerate() {
        let y = margin_top + i * CELL + CELL / 2 + 4;
        document =
            document.add(text(margin_left - 8, y, label.clone(), 12).set("text-anchor", "end"));
        let x = margin_left + i * CELL + CELL / 2;
        document = document.add(
            text(x, margin_top - 8, label.clone(), 12)
                .set("transform", format!("rotate(-45 {x} {})", margin_top - 8)),
        );
    }
    for (i, row) in evaluation.confusion.iter().enumerate() {
        let total: usize = row.iter().sum();
        for (j, &count) in row.iter().enumerate() {
            let share = if total == 0 {
                0.0
            } else {
                count as f64 / total as f64
            };
            // White to deep blue; diagonal and off-diagonal share one scale.
            let shade = |full: f64| (255.0 - share * (255.0 - full)).round() as u8;
            let fill = format!("rgb({},{},{})", shade(8.0), shade(69.0), shade(148.0));
            let (x, y) = (margin_left + j * CELL, margin_top + i * CELL);
            document = document
                .add(
                    Rectangle::new()
                        .set("x", x)
                        .set("y", y)
                        .set("width", CELL)
                        .set("height", CELL)
                        .set("fill", fill)
                        .set("stroke", "#cccccc"),
                )
                .add(
                    text(x + CELL / 2, y + CELL / 2 + 5, count.to_string(), 13)
                        .set("text-anchor", "middle")
                        .set("fill", if share > 0.5 { "white" } else { "black" }),
                );
        }
    }
    format!("{document}\n")
}
