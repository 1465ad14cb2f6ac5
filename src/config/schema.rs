//! The config schema, traced from the serde model: a small `Deserializer` that records
//! what each `Deserialize` impl asks for (a struct and its field names, a bool, a string,
//! an integer and its range, an enum and its variant names, an option, a map) instead of
//! reading data. `validate.rs` checks a file against this shape, so the key tables exist
//! once, in `model.rs`, and cannot drift from what `toml::from_str::<Config>` accepts.
//!
//! Which fields are required is found by deserializing each struct with one field left
//! out and watching for serde's `missing_field`. Depends on serde only.

use super::model::{Config, FileStoreConfig, MaildirConfig, RawAccount, SendmailConfig};
use super::model::{General, ServerConfig};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use std::fmt;

/// What a config value must look like.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Shape {
    /// Never asked for (a unit, or tracing stopped early).
    #[default]
    Unknown,
    Bool,
    Int {
        min: i128,
        max: i128,
    },
    Float,
    Str,
    /// A string naming one of these (a unit-variant enum).
    OneOf(&'static [&'static str]),
    /// Anything serde itself decides on (an untagged enum such as `Secret`).
    Any,
    Option(Box<Shape>),
    Seq(Box<Shape>),
    /// A table with free keys.
    Map(Box<Shape>),
    Struct(StructShape),
}

#[derive(Clone, Debug, PartialEq)]
pub struct StructShape {
    pub name: &'static str,
    pub fields: Vec<FieldShape>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FieldShape {
    pub name: &'static str,
    pub shape: Shape,
    pub required: bool,
}

impl StructShape {
    pub fn field(&self, name: &str) -> Option<&FieldShape> {
        self.fields.iter().find(|f| f.name == name)
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.fields.iter().map(|f| f.name).collect()
    }
}

/// The traced shape of `Config`, with required fields marked.
pub fn config_shape() -> StructShape {
    let mut top = trace_struct::<Config>();
    let required: Vec<(&str, Vec<&str>)> = vec![
        required::<Config>(),
        required::<General>(),
        required::<RawAccount>(),
        required::<MaildirConfig>(),
        required::<ServerConfig>(),
        required::<FileStoreConfig>(),
        required::<SendmailConfig>(),
    ];
    mark_required(&mut top, &required);
    top
}

fn mark_required(s: &mut StructShape, table: &[(&str, Vec<&str>)]) {
    let req = table.iter().find(|(n, _)| *n == s.name).map(|(_, r)| r);
    for f in &mut s.fields {
        f.required = req.is_some_and(|r| r.contains(&f.name));
        mark_shape(&mut f.shape, table);
    }
}

fn mark_shape(shape: &mut Shape, table: &[(&str, Vec<&str>)]) {
    match shape {
        Shape::Option(i) | Shape::Seq(i) | Shape::Map(i) => mark_shape(i, table),
        Shape::Struct(s) => mark_required(s, table),
        _ => {}
    }
}

/// Every struct name in a shape (a test checks each has its required fields traced).
#[cfg(test)]
fn struct_names(s: &StructShape, out: &mut Vec<&'static str>) {
    out.push(s.name);
    for f in &s.fields {
        let mut sh = &f.shape;
        while let Shape::Option(i) | Shape::Seq(i) | Shape::Map(i) = sh {
            sh = i;
        }
        if let Shape::Struct(inner) = sh {
            struct_names(inner, out);
        }
    }
}

/// The struct names whose required fields `config_shape` knows.
#[cfg(test)]
fn traced_structs() -> Vec<&'static str> {
    [
        required::<Config>(),
        required::<General>(),
        required::<RawAccount>(),
        required::<MaildirConfig>(),
        required::<ServerConfig>(),
        required::<FileStoreConfig>(),
        required::<SendmailConfig>(),
    ]
    .into_iter()
    .map(|(n, _)| n)
    .collect()
}

/// Traces `T`, which must be a struct. Tracing one top-level field per pass keeps a
/// failing `try_from` (an account with every source filled in) from hiding the fields
/// that follow it.
fn trace_struct<'de, T: Deserialize<'de>>() -> StructShape {
    let mut first = Shape::Unknown;
    let _ = T::deserialize(Tracer::new(&mut first, Only::All));
    let Shape::Struct(mut s) = first else {
        return StructShape {
            name: "?",
            fields: Vec::new(),
        };
    };
    for i in 0..s.fields.len() {
        let mut pass = Shape::Unknown;
        let _ = T::deserialize(Tracer::new(&mut pass, Only::Field(s.fields[i].name)));
        if let Shape::Struct(p) = pass
            && let Some(f) = p.fields.into_iter().find(|f| f.name == s.fields[i].name)
        {
            s.fields[i].shape = f.shape;
        }
    }
    s
}

/// (struct name, the fields serde reports missing when left out).
fn required<'de, T: Deserialize<'de>>() -> (&'static str, Vec<&'static str>) {
    let s = trace_struct::<T>();
    let mut req = Vec::new();
    for f in &s.fields {
        let mut scratch = Shape::Unknown;
        if let Err(TraceError::Missing(m)) =
            T::deserialize(Tracer::new(&mut scratch, Only::AllBut(f.name)))
            && m == f.name
        {
            req.push(f.name);
        }
    }
    (s.name, req)
}

#[derive(Debug)]
enum TraceError {
    Missing(&'static str),
    Other(String),
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceError::Missing(m) => write!(f, "missing field {m}"),
            TraceError::Other(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for TraceError {}

impl de::Error for TraceError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        TraceError::Other(msg.to_string())
    }
    fn missing_field(field: &'static str) -> Self {
        TraceError::Missing(field)
    }
}

/// Which fields the outermost struct is given (nested structs get all of theirs).
#[derive(Clone, Copy)]
enum Only {
    All,
    Field(&'static str),
    AllBut(&'static str),
}

struct Tracer<'a> {
    out: &'a mut Shape,
    only: Only,
}

impl<'a> Tracer<'a> {
    fn new(out: &'a mut Shape, only: Only) -> Self {
        Tracer { out, only }
    }
    fn inner(out: &'a mut Shape) -> Self {
        Tracer {
            out,
            only: Only::All,
        }
    }
}

macro_rules! ints {
    ($($m:ident $t:ty, $v:ident;)*) => {$(
        fn $m<V: Visitor<'de>>(self, v: V) -> Result<V::Value, TraceError> {
            *self.out = Shape::Int { min: <$t>::MIN as i128, max: <$t>::MAX as i128 };
            v.$v(0)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Tracer<'_> {
    type Error = TraceError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, TraceError> {
        *self.out = Shape::Any;
        v.visit_str("")
    }
    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, TraceError> {
        *self.out = Shape::Bool;
        v.visit_bool(false)
    }
    ints! {
        deserialize_i8 i8, visit_i8; deserialize_i16 i16, visit_i16;
        deserialize_i32 i32, visit_i32; deserialize_i64 i64, visit_i64;
        deserialize_u8 u8, visit_u8; deserialize_u16 u16, visit_u16;
        deserialize_u32 u32, visit_u32; deserialize_u64 u64, visit_u64;
    }
    fn deserialize_f32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, TraceError> {
        *self.out = Shape::Float;
        v.visit_f32(0.0)
    }
    fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, TraceError> {
        *self.out = Shape::Float;
        v.visit_f64(0.0)
    }
    fn deserialize_char<V: Visitor<'de>>(self, v: V) -> Result<V::Value, TraceError> {
        *self.out = Shape::Str;
        v.visit_char(' ')
    }
    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, TraceError> {
        *self.out = Shape::Str;
        v.visit_str("")
    }
    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, TraceError> {
        *self.out = Shape::Str;
        v.visit_string(String::new())
    }
    fn deserialize_bytes<V: Visitor<'de>>(self, v: V) -> Result<V::Value, TraceError> {
        *self.out = Shape::Str;
        v.visit_bytes(b"")
    }
    fn deserialize_byte_buf<V: Visitor<'de>>(self, v: V) -> Result<V::Value, TraceError> {
        *self.out = Shape::Str;
        v.visit_byte_buf(Vec::new())
    }
    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, TraceError> {
        *self.out = Shape::Option(Box::default());
        match self.out {
            Shape::Option(inner) => v.visit_some(Tracer::inner(inner)),
            _ => v.visit_none(),
        }
    }
    fn deserialize_unit<V: Visitor<'de>>(self, v: V) -> Result<V::Value, TraceError> {
        v.visit_unit()
    }
    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        v: V,
    ) -> Result<V::Value, TraceError> {
        v.visit_unit()
    }
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        v: V,
    ) -> Result<V::Value, TraceError> {
        v.visit_newtype_struct(self)
    }
    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, TraceError> {
        *self.out = Shape::Seq(Box::default());
        match self.out {
            Shape::Seq(inner) => v.visit_seq(OneSeq(Some(inner))),
            _ => Err(TraceError::Other("seq".into())),
        }
    }
    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, v: V) -> Result<V::Value, TraceError> {
        self.deserialize_seq(v)
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        v: V,
    ) -> Result<V::Value, TraceError> {
        self.deserialize_seq(v)
    }
    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, TraceError> {
        *self.out = Shape::Map(Box::default());
        match self.out {
            Shape::Map(inner) => v.visit_map(OneEntry(Some(inner))),
            _ => Err(TraceError::Other("map".into())),
        }
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, TraceError> {
        let given: Vec<&'static str> = fields
            .iter()
            .copied()
            .filter(|f| match self.only {
                Only::All => true,
                Only::Field(x) => *f == x,
                Only::AllBut(x) => *f != x,
            })
            .collect();
        *self.out = Shape::Struct(StructShape {
            name,
            fields: fields
                .iter()
                .map(|n| FieldShape {
                    name: n,
                    shape: Shape::Unknown,
                    required: false,
                })
                .collect(),
        });
        match self.out {
            Shape::Struct(s) => v.visit_map(Fields {
                given,
                next: 0,
                shape: s,
            }),
            _ => Err(TraceError::Other("struct".into())),
        }
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, TraceError> {
        *self.out = Shape::OneOf(variants);
        let first = variants.first().copied().unwrap_or("");
        v.visit_enum(first.into_deserializer())
    }
    fn deserialize_identifier<V: Visitor<'de>>(self, v: V) -> Result<V::Value, TraceError> {
        v.visit_str("")
    }
    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, TraceError> {
        v.visit_unit()
    }
}

/// A sequence of one traced element.
struct OneSeq<'a>(Option<&'a mut Shape>);

impl<'de> de::SeqAccess<'de> for OneSeq<'_> {
    type Error = TraceError;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, TraceError> {
        match self.0.take() {
            Some(out) => seed.deserialize(Tracer::inner(out)).map(Some),
            None => Ok(None),
        }
    }
}

/// A map of one entry: key "k", traced value.
struct OneEntry<'a>(Option<&'a mut Shape>);

impl<'de> de::MapAccess<'de> for OneEntry<'_> {
    type Error = TraceError;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, TraceError> {
        if self.0.is_none() {
            return Ok(None);
        }
        seed.deserialize("k".into_deserializer()).map(Some)
    }
    fn next_value_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<S::Value, TraceError> {
        match self.0.take() {
            Some(out) => seed.deserialize(Tracer::inner(out)),
            None => Err(TraceError::Other("no value".into())),
        }
    }
}

/// A struct's fields as map entries, each value traced into its `FieldShape`.
struct Fields<'a> {
    given: Vec<&'static str>,
    next: usize,
    shape: &'a mut StructShape,
}

impl<'de> de::MapAccess<'de> for Fields<'_> {
    type Error = TraceError;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, TraceError> {
        match self.given.get(self.next) {
            Some(name) => seed.deserialize(name.into_deserializer()).map(Some),
            None => Ok(None),
        }
    }
    fn next_value_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<S::Value, TraceError> {
        let name = self.given.get(self.next).copied().unwrap_or("");
        self.next += 1;
        match self.shape.fields.iter_mut().find(|f| f.name == name) {
            Some(f) => seed.deserialize(Tracer::inner(&mut f.shape)),
            None => Err(TraceError::Other(format!("no field {name}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_traced_schema_has_every_model_key() {
        let s = config_shape();
        assert_eq!(s.names(), ["general", "accounts", "keys"]);
        let Some(Shape::Map(acc)) = s.field("accounts").map(|f| &f.shape) else {
            panic!("accounts is a map: {s:?}");
        };
        let Shape::Struct(acc) = &**acc else {
            panic!("{acc:?}")
        };
        assert!(acc.names().contains(&"sendmail"), "{acc:?}");
        let Some(Shape::Option(imap)) = acc.field("imap").map(|f| &f.shape) else {
            panic!("{acc:?}")
        };
        let Shape::Struct(imap) = &**imap else {
            panic!()
        };
        assert!(
            imap.field("host").is_some_and(|f| !f.required),
            "a tunnel replaces host"
        );
        assert!(imap.field("port").is_some_and(|f| !f.required));
        assert!(matches!(
            imap.field("tls").map(|f| &f.shape),
            Some(Shape::OneOf(v)) if v.contains(&"starttls")
        ));
        assert!(matches!(
            imap.field("port").map(|f| &f.shape),
            Some(Shape::Option(p)) if **p == Shape::Int { min: 0, max: 65535 }
        ));
        let mut names = Vec::new();
        struct_names(&s, &mut names);
        let known = traced_structs();
        for n in names {
            assert!(known.contains(&n), "required fields of {n} are not traced");
        }
    }
}
