//! A parsed HTML page that knows which form owns each control, as a browser does.
//!
//! Old pages often open a form inside a table (`<table><form><tr><td><input>`). The HTML
//! parser then leaves the `<form>` element empty and ties the inputs to it only through the
//! parser's "form element pointer", which `scraper`'s tree does not keep. [`Page::parse`]
//! uses a tree sink that records those ties, so such forms keep their fields.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;

use html5ever::tendril::{StrTendril, TendrilSink as _};
use html5ever::tree_builder::{ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::{Attribute, QualName};
use scraper::node::Element;
use scraper::{ElementRef, Html, HtmlTreeSink};
use url::Url;

/// A node of a parsed page.
type NodeId = <HtmlTreeSink as TreeSink>::Handle;

/// A parsed page that knows which form owns each control.
pub(super) struct Page {
    html: Html,
    /// Controls tied to a form by the parser, which are not always inside it.
    form_owners: HashMap<NodeId, NodeId>,
}

impl Page {
    /// Parse a page as a browser would, whatever its errors.
    pub(super) fn parse(html: &str) -> Page {
        let sink = FormOwnerSink {
            inner: HtmlTreeSink::new(Html::new_document()),
            form_owners: RefCell::new(HashMap::new()),
        };
        let (html, form_owners) =
            html5ever::parse_document(sink, html5ever::ParseOpts::default()).one(html);
        Page { html, form_owners }
    }

    /// Every element, in document order.
    pub(super) fn elements(&self) -> impl Iterator<Item = ElementRef<'_>> {
        self.html
            .tree
            .root()
            .descendants()
            .filter_map(ElementRef::wrap)
    }

    /// Every form, in document order.
    pub(super) fn forms(&self) -> impl Iterator<Item = ElementRef<'_>> {
        self.elements()
            .filter(|element| element.value().name() == "form")
    }

    /// The first form that owns an input `wanted` accepts.
    pub(super) fn form_with_input(
        &self,
        wanted: impl Fn(&Element) -> bool,
    ) -> Option<ElementRef<'_>> {
        self.forms().find(|form| {
            self.controls(*form)
                .any(|control| control.value().name() == "input" && wanted(control.value()))
        })
    }

    /// The controls (input, button, select, textarea) `form` owns, in document order.
    pub(super) fn controls<'a>(
        &'a self,
        form: ElementRef<'a>,
    ) -> impl Iterator<Item = ElementRef<'a>> {
        self.elements().filter(move |element| {
            matches!(
                element.value().name(),
                "input" | "button" | "select" | "textarea"
            ) && self.form_owner(*element) == Some(form.id())
        })
    }

    /// The form a control belongs to: the one its `form` attribute names, else the one the
    /// parser tied it to, else the form around it.
    fn form_owner(&self, control: ElementRef<'_>) -> Option<NodeId> {
        if let Some(id) = control.value().attr("form") {
            return self
                .forms()
                .find(|form| form.value().id() == Some(id))
                .map(|form| form.id());
        }
        self.form_owners.get(&control.id()).copied().or_else(|| {
            control
                .ancestors()
                .filter_map(ElementRef::wrap)
                .find(|ancestor| ancestor.value().name() == "form")
                .map(|form| form.id())
        })
    }

    /// The URL relative references resolve against: the first `<base href>`, else the page's.
    pub(super) fn base_url(&self, page_url: &Url) -> Url {
        self.elements()
            .find(|element| {
                element.value().name() == "base" && element.value().attr("href").is_some()
            })
            .and_then(|base| page_url.join(base.value().attr("href")?.trim()).ok())
            .unwrap_or_else(|| page_url.clone())
    }
}

/// `scraper`'s tree sink, plus a record of the form the parser ties each control to.
struct FormOwnerSink {
    inner: HtmlTreeSink,
    form_owners: RefCell<HashMap<NodeId, NodeId>>,
}

impl TreeSink for FormOwnerSink {
    type Handle = NodeId;
    type Output = (Html, HashMap<NodeId, NodeId>);
    type ElemName<'a> = <HtmlTreeSink as TreeSink>::ElemName<'a>;

    fn finish(self) -> Self::Output {
        (self.inner.finish(), self.form_owners.into_inner())
    }

    fn associate_with_form(
        &self,
        target: &NodeId,
        form: &NodeId,
        _nodes: (&NodeId, Option<&NodeId>),
    ) {
        self.form_owners.borrow_mut().insert(*target, *form);
    }

    // Everything else is `scraper`'s.

    fn parse_error(&self, msg: Cow<'static, str>) {
        self.inner.parse_error(msg);
    }

    fn get_document(&self) -> NodeId {
        self.inner.get_document()
    }

    fn elem_name<'a>(&'a self, target: &'a NodeId) -> Self::ElemName<'a> {
        self.inner.elem_name(target)
    }

    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, flags: ElementFlags) -> NodeId {
        self.inner.create_element(name, attrs, flags)
    }

    fn create_comment(&self, text: StrTendril) -> NodeId {
        self.inner.create_comment(text)
    }

    fn create_pi(&self, target: StrTendril, data: StrTendril) -> NodeId {
        self.inner.create_pi(target, data)
    }

    fn append(&self, parent: &NodeId, child: NodeOrText<NodeId>) {
        self.inner.append(parent, child);
    }

    fn append_based_on_parent_node(
        &self,
        element: &NodeId,
        prev_element: &NodeId,
        child: NodeOrText<NodeId>,
    ) {
        self.inner
            .append_based_on_parent_node(element, prev_element, child);
    }

    fn append_doctype_to_document(
        &self,
        name: StrTendril,
        public_id: StrTendril,
        system_id: StrTendril,
    ) {
        self.inner
            .append_doctype_to_document(name, public_id, system_id);
    }

    fn mark_script_already_started(&self, node: &NodeId) {
        self.inner.mark_script_already_started(node);
    }

    fn pop(&self, node: &NodeId) {
        self.inner.pop(node);
    }

    fn get_template_contents(&self, target: &NodeId) -> NodeId {
        self.inner.get_template_contents(target)
    }

    fn same_node(&self, x: &NodeId, y: &NodeId) -> bool {
        self.inner.same_node(x, y)
    }

    fn set_quirks_mode(&self, mode: QuirksMode) {
        self.inner.set_quirks_mode(mode);
    }

    fn append_before_sibling(&self, sibling: &NodeId, new_node: NodeOrText<NodeId>) {
        self.inner.append_before_sibling(sibling, new_node);
    }

    fn add_attrs_if_missing(&self, target: &NodeId, attrs: Vec<Attribute>) {
        self.inner.add_attrs_if_missing(target, attrs);
    }

    fn remove_from_parent(&self, target: &NodeId) {
        self.inner.remove_from_parent(target);
    }

    fn reparent_children(&self, node: &NodeId, new_parent: &NodeId) {
        self.inner.reparent_children(node, new_parent);
    }

    fn is_mathml_annotation_xml_integration_point(&self, handle: &NodeId) -> bool {
        self.inner
            .is_mathml_annotation_xml_integration_point(handle)
    }

    fn set_current_line(&self, line_number: u64) {
        self.inner.set_current_line(line_number);
    }

    fn allow_declarative_shadow_roots(&self, intended_parent: &NodeId) -> bool {
        self.inner.allow_declarative_shadow_roots(intended_parent)
    }

    fn attach_declarative_shadow(
        &self,
        location: &NodeId,
        template: &NodeId,
        attrs: &[Attribute],
    ) -> bool {
        self.inner
            .attach_declarative_shadow(location, template, attrs)
    }

    fn maybe_clone_an_option_into_selectedcontent(&self, option: &NodeId) {
        self.inner
            .maybe_clone_an_option_into_selectedcontent(option);
    }
}
