//! A small namespace-aware XML tree for SOAP responses, and text escaping for
//! requests.
//!
//! Responses are parsed into a tree first because decoding needs to look
//! ahead (repeated elements form arrays) and fault detection needs the whole
//! body. Depth and size are bounded so that a hostile or broken server cannot
//! exhaust the stack.

use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;

/// The XML Schema instance namespace (`xsi:type`, `xsi:nil`).
const XSI: &[u8] = b"http://www.w3.org/2001/XMLSchema-instance";

/// The deepest element nesting accepted; vim25 data nests far less.
const MAX_DEPTH: usize = 256;

/// One element: local name, the attributes SOAP decoding needs, children, text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Element {
    /// The local name (namespace prefix dropped).
    pub name: String,
    /// The local part of `xsi:type`, if present.
    pub xsi_type: Option<String>,
    /// `xsi:nil="true"`.
    pub nil: bool,
    /// The unqualified `type` attribute (a reference's managed type).
    pub type_attr: Option<String>,
    /// Child elements in document order.
    pub children: Vec<Element>,
    /// The concatenated character data directly inside the element.
    pub text: String,
}

impl Element {
    /// The first child with a local name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The text of the first child with a local name.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }
}

/// Drop a QName prefix: `xsd:string` → `string`.
pub fn local_part(qname: &str) -> &str {
    qname.rsplit_once(':').map_or(qname, |(_, l)| l)
}

fn start_element(reader: &NsReader<&[u8]>, e: &BytesStart<'_>) -> Result<Element, String> {
    let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
    let mut el = Element {
        name,
        ..Element::default()
    };
    for attr in e.attributes().with_checks(false) {
        let attr = attr.map_err(|err| format!("malformed attribute: {err}"))?;
        let (ns, local) = reader.resolve_attribute(attr.key);
        let value = attr
            .unescape_value()
            .map_err(|err| format!("malformed attribute value: {err}"))?;
        match (ns, local.as_ref()) {
            (ResolveResult::Bound(ns), b"type") if ns.as_ref() == XSI => {
                el.xsi_type = Some(local_part(&value).to_string())
            }
            (ResolveResult::Bound(ns), b"nil") if ns.as_ref() == XSI => {
                el.nil = matches!(value.as_ref(), "true" | "1")
            }
            // Some servers use an undeclared `xsi` prefix; accept it by name.
            (ResolveResult::Unknown(p), b"type") if p == b"xsi" => {
                el.xsi_type = Some(local_part(&value).to_string())
            }
            (ResolveResult::Unbound, b"type") => el.type_attr = Some(value.into_owned()),
            _ => {}
        }
    }
    Ok(el)
}

fn entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => return None,
    })
}

/// Parse a document into its root element.
pub fn parse(text: &str) -> Result<Element, String> {
    let mut reader = NsReader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let event = reader.read_resolved_event().map(|(_, ev)| ev);
        match event
            .map_err(|e| format!("malformed XML at byte {}: {e}", reader.buffer_position()))?
        {
            Event::Start(e) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(format!("XML nested deeper than {MAX_DEPTH} elements"));
                }
                let el = start_element(&reader, &e)?;
                stack.push(el);
            }
            Event::Empty(e) => {
                let el = start_element(&reader, &e)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                let el = stack.pop().ok_or("unbalanced XML end tag")?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    let s = t
                        .decode()
                        .map_err(|e| format!("undecodable XML text: {e}"))?;
                    top.text.push_str(&s);
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    let s = t.decode().map_err(|e| format!("undecodable CDATA: {e}"))?;
                    top.text.push_str(&s);
                }
            }
            Event::GeneralRef(r) => {
                if let Some(top) = stack.last_mut() {
                    let c = if r.is_char_ref() {
                        r.resolve_char_ref()
                            .map_err(|e| format!("bad character reference: {e}"))?
                    } else {
                        let name = r
                            .decode()
                            .map_err(|e| format!("bad entity reference: {e}"))?;
                        entity(&name)
                    };
                    match c {
                        Some(c) => top.text.push(c),
                        None => return Err("unknown XML entity reference".into()),
                    }
                }
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err("XML document ends inside an element".into());
    }
    root.ok_or_else(|| "empty XML document".into())
}

/// Escape text for element content or a double-quoted attribute value.
/// Characters XML 1.0 cannot carry at all are rejected (`Err` holds one).
pub fn escape_into(out: &mut String, text: &str) -> Result<(), char> {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Keep CR and TAB from being normalised away by the parser.
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push('\n'),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => return Err(c),
            c => out.push(c),
        }
    }
    Ok(())
}

/// Escape text that is known to be XML-safe except for markup characters
/// (names, ids, correlation ids); characters XML cannot carry are replaced.
pub fn escape_lossy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let mut one = String::new();
        if escape_into(&mut one, &c.to_string()).is_ok() {
            out.push_str(&one);
        } else {
            out.push('\u{FFFD}');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_namespaces_entities_and_empty_elements() {
        let doc = r#"<?xml version="1.0"?>
<a:Envelope xmlns:a="urn:x" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
  <b i:type="xsd:string">x &amp; y &#60;z&gt;</b>
  <c type="VirtualMachine">vm-1</c>
  <d i:nil="true"/>
  <e><![CDATA[<raw>]]></e>
</a:Envelope>"#;
        let root = parse(doc).unwrap();
        assert_eq!(root.name, "Envelope");
        let b = root.child("b").unwrap();
        assert_eq!(b.xsi_type.as_deref(), Some("string"));
        assert_eq!(b.text, "x & y <z>");
        assert_eq!(
            root.child("c").unwrap().type_attr.as_deref(),
            Some("VirtualMachine")
        );
        assert!(root.child("d").unwrap().nil);
        assert_eq!(root.child("e").unwrap().text, "<raw>");
    }

    #[test]
    fn rejects_broken_documents_without_panicking() {
        for doc in [
            "",
            "<a>",
            "<a></b>",
            "<a>&bogus;</a>",
            "</a>",
            "<a b='1' b='2'><",
        ] {
            assert!(parse(doc).is_err(), "{doc:?} should fail");
        }
        let deep = "<a>".repeat(MAX_DEPTH + 5);
        assert!(parse(&deep).unwrap_err().contains("deeper"));
    }

    #[test]
    fn escaping() {
        let mut s = String::new();
        escape_into(&mut s, "a<b>&\"c'\r\t").unwrap();
        assert_eq!(s, "a&lt;b&gt;&amp;&quot;c&apos;&#13;&#9;");
        assert_eq!(escape_into(&mut String::new(), "bad\u{1}"), Err('\u{1}'));
        assert_eq!(escape_lossy("x\u{0}<"), "x\u{FFFD}&lt;");
    }
}
