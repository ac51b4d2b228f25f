//! Reads a fitted `MultinomialNb`'s classes out of its serde form.
//!
//! linfa-bayes keeps its fitted state private, but serializes it. Encoding it (postcard) to
//! decode it again into a mirror struct was a third of the naive Bayes fit (measured: 3–5 ms
//! per label on 20newsgroups). This serializer encodes nothing: it keeps the numbers of the
//! fields it knows, found by their names (`class_info`'s keys, then each class's
//! `class_count`, `prior`, `feature_count` and `feature_log_prob`), and refuses any shape it
//! does not expect, so that a linfa-bayes whose state changed fails loudly instead of being
//! misread.

use super::ClassHistogram;
use serde::ser::{self, Serialize};

#[derive(Debug)]
pub(super) struct CollectError(String);

impl std::fmt::Display for CollectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unexpected linfa-bayes state: {}", self.0)
    }
}

impl std::error::Error for CollectError {}

impl ser::Error for CollectError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        CollectError(msg.to_string())
    }
}

/// The classes of `model` (a fitted `MultinomialNb<f64, usize>`), in the order they were
/// serialized, each with its label.
pub(super) fn classes_of(
    model: &impl Serialize,
) -> Result<Vec<(usize, ClassHistogram)>, CollectError> {
    let mut collector = Collector::default();
    model.serialize(&mut collector)?;
    if collector.in_key || !collector.path.is_empty() {
        return Err(CollectError("unbalanced structure".into()));
    }
    Ok(collector.classes)
}

/// Where the floats being serialized go: decided once per array rather than by comparing
/// field names for each of its elements (profiled with them: `serialize_f64` was 4 % of the
/// training samples).
#[derive(Clone, Copy, Default)]
enum Sink {
    #[default]
    Other,
    FeatureCount,
    FeatureLogProb,
}

#[derive(Default)]
struct Collector {
    /// Names of the struct fields being serialized, outermost first.
    path: Vec<&'static str>,
    /// The array whose elements are being serialized, if any.
    sink: Sink,
    /// Whether a map key is being serialized.
    in_key: bool,
    key: Option<usize>,
    class_count: Option<usize>,
    prior: Option<f64>,
    feature_count: Vec<f64>,
    feature_log_prob: Vec<f64>,
    classes: Vec<(usize, ClassHistogram)>,
}

impl Collector {
    fn unexpected(&self, what: &str) -> CollectError {
        CollectError(format!("{what} at {}", self.path.join(".")))
    }

    fn field(&self) -> Option<&'static str> {
        // The class's own field: the one under `class_info`.
        self.path.get(1).copied()
    }

    fn number(&mut self, value: u64) -> Result<(), CollectError> {
        let value = usize::try_from(value).map_err(|_| self.unexpected("a huge number"))?;
        if self.in_key {
            self.key = Some(value);
            return Ok(());
        }
        match (self.field(), self.path.last().copied()) {
            (Some("class_count"), Some("class_count")) => self.class_count = Some(value),
            // An array's format version and shape: its length is checked at the end.
            (Some("feature_count" | "feature_log_prob"), Some("v" | "dim")) => {}
            _ => return Err(self.unexpected("an integer")),
        }
        Ok(())
    }

    fn other_f64(&mut self, value: f64) -> Result<(), CollectError> {
        match (self.field(), self.path.last().copied()) {
            (Some("prior"), Some("prior")) => self.prior = Some(value),
            _ => return Err(self.unexpected("a float")),
        }
        Ok(())
    }

    /// The class just serialized, as the value of its key.
    fn finish_class(&mut self) -> Result<(), CollectError> {
        let (Some(label), Some(class_count), Some(prior)) =
            (self.key.take(), self.class_count.take(), self.prior.take())
        else {
            return Err(self.unexpected("an incomplete class"));
        };
        let feature_count = std::mem::take(&mut self.feature_count);
        let feature_log_prob = std::mem::take(&mut self.feature_log_prob);
        if feature_count.len() != feature_log_prob.len() {
            return Err(self.unexpected("arrays of different lengths"));
        }
        self.classes.push((
            label,
            ClassHistogram {
                class_count,
                prior,
                feature_count: feature_count.into(),
                feature_log_prob: feature_log_prob.into(),
            },
        ));
        Ok(())
    }
}

impl ser::Serializer for &mut Collector {
    type Ok = ();
    type Error = CollectError;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = ser::Impossible<(), CollectError>;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = ser::Impossible<(), CollectError>;

    fn serialize_f64(self, value: f64) -> Result<(), CollectError> {
        match self.sink {
            Sink::FeatureCount => self.feature_count.push(value),
            Sink::FeatureLogProb => self.feature_log_prob.push(value),
            Sink::Other => self.other_f64(value)?,
        }
        Ok(())
    }

    fn serialize_u64(self, value: u64) -> Result<(), CollectError> {
        self.number(value)
    }

    fn serialize_u32(self, value: u32) -> Result<(), CollectError> {
        self.number(value.into())
    }

    fn serialize_u16(self, value: u16) -> Result<(), CollectError> {
        self.number(value.into())
    }

    fn serialize_u8(self, value: u8) -> Result<(), CollectError> {
        self.number(value.into())
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Self, CollectError> {
        if let Some(len) = len {
            match self.field() {
                Some("feature_count") => self.feature_count.reserve_exact(len),
                Some("feature_log_prob") => self.feature_log_prob.reserve_exact(len),
                _ => {}
            }
        }
        Ok(self)
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self, CollectError> {
        Ok(self)
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self, CollectError> {
        Ok(self)
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self, CollectError> {
        if self.path.as_slice() != ["class_info"] {
            return Err(self.unexpected("a map"));
        }
        Ok(self)
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self, CollectError> {
        Ok(self)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), CollectError> {
        value.serialize(self)
    }

    fn serialize_bool(self, _: bool) -> Result<(), CollectError> {
        Err(self.unexpected("a boolean"))
    }
    fn serialize_i8(self, _: i8) -> Result<(), CollectError> {
        Err(self.unexpected("a signed integer"))
    }
    fn serialize_i16(self, _: i16) -> Result<(), CollectError> {
        Err(self.unexpected("a signed integer"))
    }
    fn serialize_i32(self, _: i32) -> Result<(), CollectError> {
        Err(self.unexpected("a signed integer"))
    }
    fn serialize_i64(self, _: i64) -> Result<(), CollectError> {
        Err(self.unexpected("a signed integer"))
    }
    fn serialize_f32(self, _: f32) -> Result<(), CollectError> {
        Err(self.unexpected("an f32"))
    }
    fn serialize_char(self, _: char) -> Result<(), CollectError> {
        Err(self.unexpected("a character"))
    }
    fn serialize_str(self, _: &str) -> Result<(), CollectError> {
        Err(self.unexpected("a string"))
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), CollectError> {
        Err(self.unexpected("bytes"))
    }
    fn serialize_none(self) -> Result<(), CollectError> {
        Err(self.unexpected("an option"))
    }
    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<(), CollectError> {
        Err(self.unexpected("an option"))
    }
    fn serialize_unit(self) -> Result<(), CollectError> {
        Err(self.unexpected("a unit"))
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), CollectError> {
        Err(self.unexpected("a unit struct"))
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<(), CollectError> {
        Err(self.unexpected("an enum"))
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), CollectError> {
        Err(self.unexpected("an enum"))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, CollectError> {
        Err(self.unexpected("an enum"))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, CollectError> {
        Err(self.unexpected("an enum"))
    }
}

/// Sequences, tuples and tuple structs (an array's data and shape): every element goes to the
/// collector itself.
macro_rules! forward_elements {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for &mut Collector {
            type Ok = ();
            type Error = CollectError;

            fn $method<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), CollectError> {
                value.serialize(&mut **self)
            }

            fn end(self) -> Result<(), CollectError> {
                Ok(())
            }
        }
    )*};
}

forward_elements!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field
);

impl ser::SerializeMap for &mut Collector {
    type Ok = ();
    type Error = CollectError;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), CollectError> {
        self.in_key = true;
        let result = key.serialize(&mut **self);
        self.in_key = false;
        result
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), CollectError> {
        value.serialize(&mut **self)?;
        self.finish_class()
    }

    fn end(self) -> Result<(), CollectError> {
        Ok(())
    }
}

impl ser::SerializeStruct for &mut Collector {
    type Ok = ();
    type Error = CollectError;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), CollectError> {
        self.path.push(key);
        let outer = self.sink;
        self.sink = match (self.field(), key) {
            (Some("feature_count"), "data") => Sink::FeatureCount,
            (Some("feature_log_prob"), "data") => Sink::FeatureLogProb,
            _ => Sink::Other,
        };
        let result = value.serialize(&mut **self);
        self.sink = outer;
        self.path.pop();
        result
    }

    fn end(self) -> Result<(), CollectError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize)]
    struct Other {
        class_info: Vec<String>,
    }

    #[test]
    fn a_state_of_another_shape_is_refused() {
        let other = Other {
            class_info: vec!["a".into()],
        };
        let error = classes_of(&other).unwrap_err().to_string();
        assert!(error.contains("unexpected linfa-bayes state"), "{error}");
        assert!(classes_of(&3.5f64).is_err());
    }
}
