//! Matches a call's positional and named arguments to a generator's parameters and reads them as typed values.

use super::argument::{Argument, ArgumentValue, NumberLiteral};
use super::cursor::Position;
use super::error::{TemplateError, TemplateErrorKind};
use super::syntax::Call;

/// The parameters a generator takes, in positional order.
#[derive(Debug)]
pub(super) struct Signature {
    pub generator: &'static str,
    pub parameters: &'static [&'static str],
    /// Shown in error messages, e.g. `float(min, max, precision=2)`.
    pub usage: &'static str,
}

/// A call's arguments, each assigned to the parameter it fills.
#[derive(Debug)]
pub(super) struct BoundArguments<'a> {
    signature: &'static Signature,
    call_position: Position,
    by_parameter: Vec<Option<&'a Argument>>,
}

pub(super) fn bind<'a>(
    signature: &'static Signature,
    call: &'a Call,
) -> Result<BoundArguments<'a>, TemplateError> {
    let mut by_parameter: Vec<Option<&Argument>> = vec![None; signature.parameters.len()];
    let mut positional_count = 0;
    for argument in &call.arguments {
        let error = |kind| TemplateError::at(argument.position, kind);
        let too_many = || {
            error(TemplateErrorKind::TooManyArguments {
                generator: signature.generator,
                usage: signature.usage,
            })
        };
        let index = match &argument.name {
            None => {
                positional_count += 1;
                positional_count - 1
            }
            Some(name) => signature
                .parameters
                .iter()
                .position(|parameter| parameter == name)
                .ok_or_else(|| {
                    error(TemplateErrorKind::UnknownArgument {
                        generator: signature.generator,
                        name: name.clone(),
                        usage: signature.usage,
                    })
                })?,
        };
        let slot = by_parameter.get_mut(index).ok_or_else(too_many)?;
        // Only a named argument can hit a filled slot: the parser puts positional ones first.
        if slot.is_some() {
            return Err(error(TemplateErrorKind::DuplicateArgument {
                generator: signature.generator,
                name: argument.name.clone().unwrap_or_default(),
            }));
        }
        *slot = Some(argument);
    }
    Ok(BoundArguments {
        signature,
        call_position: call.name_position,
        by_parameter,
    })
}

impl<'a> BoundArguments<'a> {
    pub fn generator(&self) -> &'static str {
        self.signature.generator
    }

    /// Where errors about the call as a whole (such as min above max) point.
    pub fn call_position(&self) -> Position {
        self.call_position
    }

    pub fn get(&self, name: &str) -> Option<&'a Argument> {
        let index = self
            .signature
            .parameters
            .iter()
            .position(|parameter| *parameter == name)?;
        self.by_parameter.get(index).copied().flatten()
    }

    pub fn required(&self, name: &'static str) -> Result<&'a Argument, TemplateError> {
        self.get(name).ok_or_else(|| self.missing(name))
    }

    pub fn number(&self, name: &str) -> Result<Option<&'a NumberLiteral>, TemplateError> {
        let Some(argument) = self.get(name) else {
            return Ok(None);
        };
        match &argument.value {
            ArgumentValue::Number(number) => Ok(Some(number)),
            other => Err(self.wrong_type(argument, name, "a number", other)),
        }
    }

    pub fn required_number(&self, name: &'static str) -> Result<&'a NumberLiteral, TemplateError> {
        self.required(name)?;
        self.number(name)?.ok_or_else(|| self.missing(name))
    }

    /// Reads a whole number such as `5` or `-3`; `2.5` is refused.
    pub fn whole_number(&self, name: &str) -> Result<Option<i64>, TemplateError> {
        let Some(number) = self.number(name)? else {
            return Ok(None);
        };
        match number.whole {
            Some(whole) => Ok(Some(whole)),
            None => Err(self.wrong_type_found(
                name,
                "a whole number that fits in 64 bits",
                number.written.clone(),
            )),
        }
    }

    pub fn required_whole_number(&self, name: &'static str) -> Result<i64, TemplateError> {
        self.required(name)?;
        self.whole_number(name)?.ok_or_else(|| self.missing(name))
    }

    /// Reads a duration (`2s`) or a plain number of seconds (`2`), as seconds written both ways.
    pub fn seconds(&self, name: &str) -> Result<Option<(f64, String)>, TemplateError> {
        let Some(argument) = self.get(name) else {
            return Ok(None);
        };
        match &argument.value {
            ArgumentValue::Duration { length, written } => {
                Ok(Some((length.as_secs_f64(), written.clone())))
            }
            ArgumentValue::Number(number) => Ok(Some((number.value, number.written.clone()))),
            other => Err(self.wrong_type(
                argument,
                name,
                "a duration such as 500ms, 2s or 5min",
                other,
            )),
        }
    }

    fn missing(&self, name: &'static str) -> TemplateError {
        TemplateError::at(
            self.call_position,
            TemplateErrorKind::MissingArgument {
                generator: self.signature.generator,
                name,
                usage: self.signature.usage,
            },
        )
    }

    fn wrong_type(
        &self,
        argument: &Argument,
        name: &str,
        expected: &'static str,
        found: &ArgumentValue,
    ) -> TemplateError {
        TemplateError::at(
            argument.position,
            TemplateErrorKind::WrongArgumentType {
                generator: self.signature.generator,
                name: name.to_owned(),
                expected,
                found: found.describe(),
            },
        )
    }

    fn wrong_type_found(&self, name: &str, expected: &'static str, found: String) -> TemplateError {
        let position = self
            .get(name)
            .map_or(self.call_position, |argument| argument.position);
        TemplateError::at(
            position,
            TemplateErrorKind::WrongArgumentType {
                generator: self.signature.generator,
                name: name.to_owned(),
                expected,
                found,
            },
        )
    }
}
