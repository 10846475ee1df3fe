//! The plan of a load: every map's final spec, template and slots, with every rule that can be
//! checked before touching the kernel checked.

use std::collections::HashMap;
use std::os::fd::BorrowedFd;

use super::options::{LoadOptions, TemplateOverride};
use crate::elf::{BpfObject, MapAttrs, MapDef, ObjectError, Pinning, Rule};
use crate::{InnerShape, MapFlags, MapInfo, MapName, MapSpec, MapType, Refusal, Result};

/// One map to create (or reuse).
#[derive(Debug)]
pub(crate) struct PlannedMap<'o> {
    pub(crate) def: &'o MapDef,
    /// The spec to create it from: the object's attributes with the caller's changes, the
    /// kernel name, no BTF ids.
    pub(crate) spec: MapSpec,
    /// The BTF key and value type ids to use if the object's BTF loads (0 for outer maps).
    pub(crate) btf_ids: (u32, u32),
    /// Where to pin it, relative to the pin root.
    pub(crate) pin: Option<String>,
    pub(crate) outer: Option<OuterPlan<'o>>,
}

/// What an outer map needs besides its own spec.
#[derive(Debug)]
pub(crate) struct OuterPlan<'o> {
    pub(crate) template: PlannedTemplate<'o>,
    /// Slot index → index in [`Plan::maps`] of the declared inner map.
    pub(crate) slots: Vec<(u32, usize)>,
}

/// An outer map's inner template.
#[derive(Debug)]
pub(crate) enum PlannedTemplate<'o> {
    /// Created from this spec (with these BTF ids if the BTF loads), then closed.
    Spec(MapSpec, (u32, u32)),
    /// The caller's map.
    Map(BorrowedFd<'o>, MapInfo),
}

impl PlannedTemplate<'_> {
    pub(crate) fn shape(&self) -> InnerShape {
        match self {
            PlannedTemplate::Spec(spec, _) => InnerShape::of_spec(spec),
            PlannedTemplate::Map(_, info) => InnerShape::of_info(info),
        }
    }
}

#[derive(Debug)]
pub(crate) struct Plan<'o> {
    pub(crate) maps: Vec<PlannedMap<'o>>,
}

fn rule(map: &str, rule: Rule) -> crate::Error {
    ObjectError::Rule {
        map: map.to_owned(),
        rule,
    }
    .into()
}

/// The kernel name of an object's map: the first 15 bytes, with bytes the kernel refuses
/// replaced by `_` (symbol names are C identifiers, so this is for hostile objects). Each
/// refused character becomes one `_`, whatever its length in bytes.
pub(crate) fn kernel_name(name: &str) -> MapName {
    // NUL-padded as the kernel keeps names; `\0` is not a name byte, so it becomes `_` too.
    let mut bytes = [0u8; crate::sys::attr::OBJ_NAME_LEN];
    for (dst, c) in bytes[..MapName::MAX_LEN].iter_mut().zip(name.chars()) {
        *dst = if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
            c as u8
        } else {
            b'_'
        };
    }
    MapName::from_kernel(&bytes)
}

/// Whether a map name can be the last component of its pin path as it is: a name with `/`
/// would pin in (or create) other directories, `..` or a leading `/` outside the pin root
/// altogether (`Path::join` with an absolute path replaces the root). Symbol names come from
/// the object, which is untrusted; C identifiers always pass.
fn is_file_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains('/')
}

/// The spec of `attrs` with the caller's changes for `map`.
fn effective_spec(attrs: &MapAttrs, name: &str, options: &LoadOptions<'_>) -> MapSpec {
    let mut spec = attrs.to_spec().with_map_name(kernel_name(name));
    if let Some(o) = options.overrides.get(name) {
        if let Some(max_entries) = o.max_entries {
            spec = spec.with_max_entries(max_entries);
        }
        if let Some(flags) = o.flags {
            spec = spec.with_flags(flags);
        }
        if let Some(node) = o.numa_node {
            spec = spec.with_numa_node(node);
        }
    }
    spec
}

/// Why the inner definition `inner` cannot be a template, if it cannot.
fn template_rule(inner: &MapAttrs) -> Option<Rule> {
    if inner.map_type.is_outer() || inner.has_values {
        return Some(Rule::Nested);
    }
    if inner.map_type.refused_as_inner() {
        return Some(Rule::InnerUnsupported(inner.map_type));
    }
    if inner.pinning != Pinning::None {
        return Some(Rule::PinnedInner);
    }
    if inner.flags.contains(MapFlags::INNER_MAP) && inner.map_type != MapType::ARRAY {
        return Some(Rule::Refused(Refusal::InnerMapFlagNotArray(inner.map_type)));
    }
    None
}

/// Refuses options that would be silently ignored: a per-map option (override, template, skip)
/// naming a map the object does not have, and a template for a map that is not a map of maps.
/// Of several, the one naming the first map in name order is reported.
fn check_options(object: &BpfObject, options: &LoadOptions<'_>) -> Result<()> {
    let mut named: Vec<(&str, &'static str)> = Vec::new();
    for (name, o) in &options.overrides {
        let option = match (o.max_entries, o.flags, o.numa_node) {
            (Some(_), _, _) => "max_entries",
            (None, Some(_), _) => "flags",
            _ => "numa_node",
        };
        named.push((name, option));
    }
    for (name, template) in &options.templates {
        let option = match template {
            TemplateOverride::Spec(_) => "template",
            TemplateOverride::Map(_) => "template_map",
        };
        named.push((name, option));
    }
    // Skips can name every map of an object: they are checked in one walk of its maps, each
    // looked up among them, and listed one by one only when one of them names no map.
    let skipped = object
        .maps()
        .iter()
        .filter(|def| options.skip.contains(&def.name))
        .count();
    if skipped != options.skip.len() {
        named.extend(options.skip.iter().map(|name| (name.as_str(), "skip")));
    }
    let problem = |&(name, option): &(&str, &'static str)| match object.map(name) {
        None => Some("the object has no map of that name"),
        Some(def) if option.starts_with("template") && !def.attrs.map_type.is_outer() => {
            Some("it is not a map of maps, so it has no inner template")
        }
        Some(_) => None,
    };
    // Sorted only when something is wrong, to name the first map in name order.
    if named.iter().all(|n| problem(n).is_none()) {
        return Ok(());
    }
    named.sort_unstable();
    for n in &named {
        if let Some(problem) = problem(n) {
            let (name, option) = *n;
            return Err(rule(name, Rule::UnusedOption { option, problem }));
        }
    }
    Ok(())
}

pub(crate) fn plan<'o>(object: &'o BpfObject, options: &LoadOptions<'o>) -> Result<Plan<'o>> {
    check_options(object, options)?;
    let mut maps = Vec::with_capacity(object.maps().len());
    for def in object.maps() {
        if options.skip.contains(&def.name) {
            continue;
        }
        let name = def.name.as_str();
        let spec = effective_spec(&def.attrs, name, options);
        let pin = match def.attrs.pinning {
            Pinning::Unsupported(n) => return Err(rule(name, Rule::PinningUnsupported(n))),
            p => p.relative_path(name),
        };
        if pin.is_some() && !is_file_name(name) {
            return Err(ObjectError::Map {
                map: name.to_owned(),
                problem: "it asks to be pinned, and its name is not a file name (empty, `.`, \
                          `..`, or containing `/`), so its pin would not be a file directly \
                          in the pin directory"
                    .into(),
            }
            .into());
        }
        // bpffs refuses a name with a dot (EPERM) when it is looked up as when it is pinned:
        // say why here, rather than let the kernel's EPERM name no reason.
        if pin.is_some() && name.contains('.') {
            return Err(rule(name, Rule::PinNameDot));
        }
        let is_outer = def.attrs.map_type.is_outer();
        if !is_outer {
            if def.attrs.has_values && def.attrs.map_type != MapType::PROG_ARRAY {
                return Err(rule(name, Rule::ValuesOnPlain(def.attrs.map_type)));
            }
            if spec.flags().contains(MapFlags::INNER_MAP) && spec.map_type() != MapType::ARRAY {
                let refusal = Refusal::InnerMapFlagNotArray(spec.map_type());
                return Err(rule(name, Rule::Refused(refusal)));
            }
        }
        let btf_ids = if is_outer {
            (0, 0)
        } else {
            (def.attrs.btf_key_type_id, def.attrs.btf_value_type_id)
        };
        maps.push(PlannedMap {
            def,
            spec,
            btf_ids,
            pin,
            outer: None,
        });
    }
    if !maps.iter().any(|m| m.def.attrs.map_type.is_outer()) {
        return Ok(Plan { maps });
    }
    // Outer maps name their inner maps: index the planned maps by name.
    let index: HashMap<&str, usize> = maps
        .iter()
        .enumerate()
        .map(|(i, m)| (m.def.name.as_str(), i))
        .collect();
    for i in 0..maps.len() {
        if !maps[i].def.attrs.map_type.is_outer() {
            continue;
        }
        let outer = plan_outer(&maps, i, &index, options)?;
        maps[i].outer = Some(outer);
    }
    Ok(Plan { maps })
}

fn plan_outer<'o>(
    maps: &[PlannedMap<'o>],
    i: usize,
    index: &HashMap<&str, usize>,
    options: &LoadOptions<'o>,
) -> Result<OuterPlan<'o>> {
    let def = maps[i].def;
    let name = def.name.as_str();
    let spec = &maps[i].spec;
    if spec.value_size() != 4 {
        return Err(rule(
            name,
            Rule::Refused(Refusal::OuterValueSize(spec.value_size())),
        ));
    }
    if spec.map_type() == MapType::ARRAY_OF_MAPS && spec.key_size() != 4 {
        let refusal = Refusal::OuterArrayKeySize(spec.key_size());
        return Err(rule(name, Rule::Refused(refusal)));
    }
    let template = match options.templates.get(name) {
        Some(TemplateOverride::Spec(spec)) => {
            if let Some(refusal) = InnerShape::of_spec(spec).inner_refusal() {
                return Err(rule(name, Rule::Refused(refusal)));
            }
            PlannedTemplate::Spec(spec.clone(), (0, 0))
        }
        Some(TemplateOverride::Map(fd)) => {
            let info = MapInfo::from_fd(*fd)?;
            if let Some(refusal) = InnerShape::of_info(&info).inner_refusal() {
                return Err(rule(name, Rule::Refused(refusal)));
            }
            PlannedTemplate::Map(*fd, info)
        }
        None => {
            let inner = def
                .attrs
                .inner
                .as_deref()
                .ok_or_else(|| rule(name, Rule::NoTemplate))?;
            if let Some(r) = template_rule(inner) {
                return Err(rule(name, r));
            }
            let ids = (inner.btf_key_type_id, inner.btf_value_type_id);
            PlannedTemplate::Spec(inner.to_spec(), ids)
        }
    };
    let shape = template.shape();
    let mut slots = Vec::with_capacity(def.slots.len());
    for slot in &def.slots {
        if spec.map_type() == MapType::ARRAY_OF_MAPS && slot.index >= spec.max_entries() {
            let r = Rule::SlotOutOfRange {
                index: slot.index,
                max_entries: spec.max_entries(),
            };
            return Err(rule(name, r));
        }
        if spec.map_type() == MapType::HASH_OF_MAPS && spec.key_size() != 4 {
            return Err(rule(name, Rule::SlotKeySize(spec.key_size())));
        }
        let Some(&target) = index.get(slot.map.as_str()) else {
            let r = Rule::SlotMapMissing {
                index: slot.index,
                inner: slot.map.clone(),
            };
            return Err(rule(name, r));
        };
        let inner = InnerShape::of_spec(&maps[target].spec);
        if let Some(refusal) = inner.inner_refusal() {
            let r = Rule::InnerRefused {
                index: slot.index,
                inner: slot.map.clone(),
                refusal,
            };
            return Err(rule(name, r));
        }
        if let Err(mismatch) = shape.check_fits(&inner) {
            let r = Rule::InnerMismatch {
                index: slot.index,
                inner: slot.map.clone(),
                mismatch,
            };
            return Err(rule(name, r));
        }
        slots.push((slot.index, target));
    }
    Ok(OuterPlan { template, slots })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain way: clean every character, then cut to 15 bytes.
    fn reference(name: &str) -> String {
        let cleaned: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        cleaned[..cleaned.len().min(MapName::MAX_LEN)].to_owned()
    }

    #[test]
    fn kernel_names_clean_each_character_then_keep_15_bytes() {
        for name in [
            "",
            "counts",
            "exactly_15_byte",
            "sixteen_bytes_ab",
            "a_name_far_longer_than_the_kernel_keeps",
            "with-dash",
            "dotted.name",
            "é",
            "aé€😀b",
            "fourteen_bytesé",
            "😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀",
            "nul\0inside",
            " \t\n",
        ] {
            let got = kernel_name(name);
            assert_eq!(got.as_str(), reference(name), "{name:?}");
            assert_eq!(got, MapName::new(&reference(name)).unwrap(), "{name:?}");
        }
    }
}
