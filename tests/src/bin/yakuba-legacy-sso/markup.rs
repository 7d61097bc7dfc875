//! HTML for the sample systems' pages: escaping and the page frame.

/// Escape text for HTML element content and double-quoted attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A whole page: `charset` is the label declared in the `<meta>` (the bytes are the caller's
/// business), `title` is plain text, `body` is HTML.
pub fn document(charset: &str, title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\">\n\
         <html lang=\"ja\"><head>\n\
         <meta http-equiv=\"Content-Type\" content=\"text/html; charset={charset}\">\n\
         <title>{title}</title>\n\
         <style>body{{font-family:sans-serif;margin:2rem;background:#f4f7ff}}\
         table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.3rem .6rem;\
         text-align:left}}.error{{color:#b00}}</style>\n\
         </head><body>\n{body}\n</body></html>\n",
        title = escape(title),
    )
}
