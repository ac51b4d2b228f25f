//! Web text's leftovers, read as a browser shows them.
//!
//! Articles exported from web pages keep some of their HTML: tags (`<p>`, `<br/>`), whose
//! names would be words (`p` weighed as a theme's word), and character references
//! (`s&eacute;curit&eacute;`), which split a word into pieces no other text has. Both are
//! undone before tokenizing ([`AnalyzerConfig::web_rules`](super::AnalyzerConfig::web_rules)).

use std::borrow::Cow;

/// Longest tag looked for: a `<` followed by a letter without a `>` this far is text (`a<b`).
const MAX_TAG_BYTES: usize = 1024;

/// The HTML elements whose tags are dropped. Plain text puts other words in angle brackets
/// (`<grin>`, `<snip>`, `<sys/types.h>`, `<Key>` in 20newsgroups' posts), which stay words.
const ELEMENTS: &[&str] = &[
    "a",
    "abbr",
    "address",
    "article",
    "aside",
    "audio",
    "b",
    "big",
    "blockquote",
    "body",
    "br",
    "button",
    "caption",
    "center",
    "cite",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "details",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "embed",
    "figcaption",
    "figure",
    "font",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hr",
    "html",
    "i",
    "iframe",
    "img",
    "input",
    "ins",
    "kbd",
    "label",
    "li",
    "link",
    "main",
    "mark",
    "meta",
    "nav",
    "noscript",
    "object",
    "ol",
    "option",
    "p",
    "picture",
    "pre",
    "q",
    "s",
    "samp",
    "script",
    "section",
    "select",
    "small",
    "source",
    "span",
    "strike",
    "strong",
    "style",
    "sub",
    "summary",
    "sup",
    "svg",
    "table",
    "tbody",
    "td",
    "textarea",
    "tfoot",
    "th",
    "thead",
    "time",
    "title",
    "tr",
    "tt",
    "u",
    "ul",
    "var",
    "video",
    "wbr",
];

/// Longest character reference looked for (`&CounterClockwiseContourIntegral;` is 33).
const MAX_REFERENCE_BYTES: usize = 40;

/// `text` with its HTML tags and comments each replaced by a space (a tag may end a word,
/// `<br>`, or a block), the contents of `<script>` and `<style>` dropped too, and its
/// character references decoded (`&eacute;`, `&#233;` and `&#xE9;` are `é`, `&nbsp;` a
/// no-break space, `&rsquo;` an apostrophe). Borrowed when it has neither `<` nor `&`, as
/// most texts.
///
/// The references of the characters that markup escapes, `&lt;`, `&gt;`, `&amp;` and
/// `&quot;`, stay as written: decoded, they would separate the words around them just as
/// they do now, and they would only lose words such as the `lt` and `gt` of news agencies'
/// stock tickers (`&lt;AAPL.O&gt;`), which the public sets' labels lean on (ag_news lost
/// 0.0014 of macro-F1 with them decoded).
pub(crate) fn as_displayed(text: &str) -> Cow<'_, str> {
    if memchr::memchr2(b'<', b'&', text.as_bytes()).is_none() {
        return Cow::Borrowed(text);
    }
    match without_tags(text) {
        Cow::Borrowed(text) => decode_references(text),
        Cow::Owned(text) => match decode_references(&text) {
            Cow::Borrowed(_) => Cow::Owned(text),
            Cow::Owned(decoded) => Cow::Owned(decoded),
        },
    }
}

/// `text` with its character references decoded by html-escape, but those of `<`, `>`, `&`
/// and `"` (see [`as_displayed`]).
fn decode_references(text: &str) -> Cow<'_, str> {
    replace_spans(text, b'&', |start| {
        let bytes = &text.as_bytes()[start..];
        let window = &bytes[..bytes.len().min(MAX_REFERENCE_BYTES)];
        // `&name;`, `&#233;` or `&#xE9;`: a name's characters up to the `;`, no other.
        let name = window[1..]
            .iter()
            .position(|c| !(c.is_ascii_alphanumeric() || *c == b'#'))?;
        if name == 0 || window[1 + name] != b';' {
            return None;
        }
        let reference = &text[start..start + name + 2];
        let decoded = html_escape::decode_html_entities(reference);
        if decoded == reference || matches!(&*decoded, "<" | ">" | "&" | "\"") {
            return None;
        }
        Some((start + reference.len(), decoded))
    })
}

/// `text` without its tags, comments, scripts and styles (see [`as_displayed`]).
fn without_tags(text: &str) -> Cow<'_, str> {
    let mut unclosed = [false; 2];
    replace_spans(text, b'<', |start| {
        tag_end(text, start, &mut unclosed).map(|end| (end, Cow::Borrowed(" ")))
    })
}

/// `text` with spans replaced: at each `first` byte, `span(at)` says where the span that
/// starts there ends and what replaces it, or `None` to keep the byte as it is. Borrowed when
/// nothing is replaced.
fn replace_spans<'t>(
    text: &'t str,
    first: u8,
    mut span: impl FnMut(usize) -> Option<(usize, Cow<'t, str>)>,
) -> Cow<'t, str> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut at = 0;
    while let Some(found) = memchr::memchr(first, &bytes[at..]) {
        let start = at + found;
        let Some((end, replacement)) = span(start) else {
            at = start + 1;
            continue;
        };
        let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
        out.push_str(&text[copied..start]);
        out.push_str(&replacement);
        copied = end;
        at = end;
    }
    match out {
        None => Cow::Borrowed(text),
        Some(mut out) => {
            out.push_str(&text[copied..]);
            Cow::Owned(out)
        }
    }
}

/// Where the tag that starts at `start` (a `<`) ends, past its `>`: a start or end tag
/// (`<p>`, `</div>`, `<a href="…">`, `<br/>`), a comment or a declaration (`<!-- … -->`,
/// `<!DOCTYPE html>`); for `<script>` and `<style>`, past their end tag. `None` when the `<`
/// starts no tag.
///
/// `unclosed` notes, for `<script>` and `<style>`, that no end tag follows a point already
/// passed, so that a text of many unclosed ones is not searched to its end for each.
fn tag_end(text: &str, start: usize, unclosed: &mut [bool; 2]) -> Option<usize> {
    let rest = &text.as_bytes()[start + 1..];
    let window = &rest[..rest.len().min(MAX_TAG_BYTES)];
    let name_start = usize::from(window.first() == Some(&b'/'));
    match window.get(name_start) {
        Some(b'!') if window.starts_with(b"!--") => {
            let close = memchr::memmem::find(&window[3..], b"-->")?;
            return Some(start + 1 + 3 + close + 3);
        }
        // A declaration, `<!DOCTYPE html>`: a letter follows.
        Some(b'!') if window.get(1).is_some_and(u8::is_ascii_alphabetic) => {}
        Some(c) if c.is_ascii_alphabetic() => {}
        _ => return None,
    }
    let name: &[u8] = &window[name_start..];
    let name_len = name
        .iter()
        .position(|c| !(c.is_ascii_alphanumeric() || *c == b'-'))
        .unwrap_or(name.len());
    // A tag's name ends at a space, `/` or `>`: `<bob@example.org>` and `<http://…>`, which
    // mail and plain text put in angle brackets, are no tags.
    if !matches!(
        name.get(name_len),
        Some(b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'/' | b'>')
    ) && window[name_start] != b'!'
    {
        return None;
    }
    let name = &name[..name_len];
    if window[name_start] != b'!'
        && !ELEMENTS
            .iter()
            .any(|element| name.eq_ignore_ascii_case(element.as_bytes()))
    {
        return None;
    }
    // A one-letter element (`<p>`, `<b>`, `<a href=…>`) is a tag only when it closes at once
    // or names an attribute: `a<b et c>d` is text.
    if name.len() == 1 && window[name_start] != b'!' {
        let after = &window[name_start + 1..];
        let attribute = after.first() == Some(&b' ')
            && after[1..]
                .iter()
                .position(|c| !c.is_ascii_alphabetic())
                .is_some_and(|end| end > 0 && after[1 + end] == b'=');
        if !(matches!(after.first(), Some(b'>' | b'/')) || attribute) {
            return None;
        }
    }
    let close = memchr::memchr(b'>', window)?;
    let end = start + 1 + close + 1;
    if name_start == 0 {
        for (element, unclosed) in [&b"script"[..], b"style"].into_iter().zip(unclosed) {
            if name.eq_ignore_ascii_case(element) {
                // Their contents are code, not text: up to their end tag, or the text's end.
                let after = &text.as_bytes()[end..];
                // Without its end tag, only the tag goes: what follows may be an article
                // about `<script>`.
                let closing = match *unclosed {
                    true => None,
                    false => find_ignoring_case(after, &[b"</", element].concat()),
                };
                *unclosed = closing.is_none();
                return Some(closing.map_or(end, |at| {
                    let tail = &after[at..];
                    end + at + memchr::memchr(b'>', tail).map_or(tail.len(), |gt| gt + 1)
                }));
            }
        }
    }
    Some(end)
}

/// Where `needle` (ASCII) first occurs in `haystack`, whatever the case of its letters.
fn find_ignoring_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_become_spaces_and_references_characters() {
        assert_eq!(
            as_displayed("<p>Commande pass&eacute;e,<br/>toujours pas re&#231;ue.</p>"),
            " Commande passée, toujours pas reçue. "
        );
        assert_eq!(
            as_displayed("l&#39;&eacute;quipe &amp; le S&#xC9;CURIT&Eacute;&nbsp;: oui"),
            "l'équipe &amp; le SÉCURITÉ\u{A0}: oui"
        );
        // Escaped markup stays as written: `lt`, `gt` and `amp` as before.
        assert_eq!(
            as_displayed("Dell Inc. &lt;DELL.O&gt; &quot;R&amp;D&quot; &#60;x&#62;"),
            "Dell Inc. &lt;DELL.O&gt; &quot;R&amp;D&quot; &#60;x&#62;"
        );
        assert_eq!(
            as_displayed("<div class=\"x\">a</div><!-- menu <p> -->b<!DOCTYPE html>c"),
            " a  b c"
        );
        assert_eq!(
            as_displayed("x<SCRIPT type=\"t\">var p = 1;</script>y<style>p{}</STYLE >z"),
            "x y z"
        );
        assert_eq!(
            as_displayed("une faille injecte <script> dans la page"),
            "une faille injecte   dans la page"
        );
        // A reference is a name up to its `;`: `AT&T &lt;T.N&gt;` keeps its escaped markup.
        assert_eq!(
            as_displayed("AT&T &lt;T.N&gt; &eacute;t&eacute;"),
            "AT&T &lt;T.N&gt; été"
        );
    }

    #[test]
    fn text_that_only_looks_like_markup_stays() {
        for text in [
            "a < b et b > c",
            "3<4",
            "<<",
            "un tag <sans fin",
            "R&D, AT&T",
            "Jean Martin <jean.martin@exemple.fr> a écrit",
            "voir <https://exemple.fr/page> ou <urn:isbn:123>",
            "<grin> <snip> #include <sys/types.h> <Key>",
            "a<b et c>d",
            "if (a<b && b>c)",
            "Wow <! ça marche > oui",
            "pas de balise",
        ] {
            assert_eq!(as_displayed(text), text);
            if !text.contains(['<', '&']) {
                assert!(matches!(as_displayed(text), Cow::Borrowed(_)));
            }
        }
    }
}
