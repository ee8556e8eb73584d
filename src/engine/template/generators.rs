//! The catalog of generators: turns a parsed call such as `float(18, 26, 1)` into a validated, ready-to-run generator.

use super::argument::{ArgumentValue, NumberLiteral};
use super::binding::{BoundArguments, Signature, bind};
use super::error::{TemplateError, TemplateErrorKind};
use super::format::PayloadFormat;
use super::json_escape::json_string_content;
use super::syntax::Call;
use super::timestamp::TimestampFormat;

/// A generator with its arguments checked; producing values cannot fail.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Generator {
    Counter(Counter),
    Int {
        min: i64,
        max: i64,
    },
    Float {
        min: f64,
        max: f64,
        precision: usize,
    },
    Sine {
        period_seconds: f64,
        amplitude: f64,
        offset: f64,
        precision: usize,
    },
    Walk {
        start: f64,
        step: f64,
        min: f64,
        max: f64,
        precision: usize,
    },
    /// Items are stored ready to insert (escaped already when the payload is JSON).
    Choice {
        items: Vec<String>,
    },
    Bool {
        probability: f64,
    },
    Timestamp(TimestampFormat),
    Index,
    Group {
        escape_for_json: bool,
    },
    ClientId {
        escape_for_json: bool,
    },
    Uuid,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Counter {
    /// Exact integer arithmetic when start and step are whole numbers.
    Whole { start: i64, step: i64 },
    /// Otherwise shown with as many decimals as the start or step was written with.
    Decimal {
        start: f64,
        step: f64,
        precision: usize,
    },
}

const DEFAULT_PRECISION: i64 = 2;
const MAX_PRECISION: i64 = 10;

static COUNTER: Signature = Signature {
    generator: "counter",
    parameters: &["start", "step"],
    usage: "counter(start=0, step=1)",
};
static INT: Signature = Signature {
    generator: "int",
    parameters: &["min", "max"],
    usage: "int(min, max)",
};
static FLOAT: Signature = Signature {
    generator: "float",
    parameters: &["min", "max", "precision"],
    usage: "float(min, max, precision=2)",
};
static SINE: Signature = Signature {
    generator: "sine",
    parameters: &["period", "amplitude", "offset", "precision"],
    usage: "sine(period=60s, amplitude=1, offset=0, precision=2)",
};
static WALK: Signature = Signature {
    generator: "walk",
    parameters: &["start", "step", "min", "max", "precision"],
    usage: "walk(start, step, min, max, precision=2)",
};
static CHOICE_USAGE: &str = "choice(\"a\", \"b\", ...)";
static BOOL: Signature = Signature {
    generator: "bool",
    parameters: &["p"],
    usage: "bool(p=0.5)",
};
static TIMESTAMP: Signature = Signature {
    generator: "timestamp",
    parameters: &["format"],
    usage: "timestamp, timestamp(unix_ms), timestamp(unix) or timestamp(iso)",
};
static INDEX: Signature = no_arguments("index");
static GROUP: Signature = no_arguments("group");
static CLIENT_ID: Signature = no_arguments("client_id");
static UUID: Signature = no_arguments("uuid");

const fn no_arguments(generator: &'static str) -> Signature {
    Signature {
        generator,
        parameters: &[],
        usage: generator,
    }
}

impl Generator {
    pub fn from_call(call: &Call, format: PayloadFormat) -> Result<Generator, TemplateError> {
        let escape_for_json = format == PayloadFormat::Json;
        match call.name.as_str() {
            "counter" => counter(&bind(&COUNTER, call)?),
            "int" => int(&bind(&INT, call)?),
            "float" => float(&bind(&FLOAT, call)?),
            "sine" => sine(&bind(&SINE, call)?),
            "walk" => walk(&bind(&WALK, call)?),
            "choice" => choice(call, escape_for_json),
            "bool" => boolean(&bind(&BOOL, call)?),
            "timestamp" => timestamp(&bind(&TIMESTAMP, call)?),
            "index" => bind(&INDEX, call).map(|_| Generator::Index),
            "group" => bind(&GROUP, call).map(|_| Generator::Group { escape_for_json }),
            "client_id" => bind(&CLIENT_ID, call).map(|_| Generator::ClientId { escape_for_json }),
            "uuid" => bind(&UUID, call).map(|_| Generator::Uuid),
            unknown => Err(TemplateError::at(
                call.name_position,
                TemplateErrorKind::UnknownGenerator {
                    name: unknown.to_owned(),
                },
            )),
        }
    }
}

fn counter(arguments: &BoundArguments) -> Result<Generator, TemplateError> {
    let start = arguments.number("start")?;
    let step = arguments.number("step")?;
    let whole_start = start.map_or(Some(0), |number| number.whole);
    let whole_step = step.map_or(Some(1), |number| number.whole);
    if let (Some(start), Some(step)) = (whole_start, whole_step) {
        return Ok(Generator::Counter(Counter::Whole { start, step }));
    }
    let decimals = |number: Option<&super::argument::NumberLiteral>| {
        number.map_or(0, |number| number.decimals)
    };
    Ok(Generator::Counter(Counter::Decimal {
        start: start.map_or(0.0, |number| number.value),
        step: step.map_or(1.0, |number| number.value),
        precision: decimals(start).max(decimals(step)),
    }))
}

fn int(arguments: &BoundArguments) -> Result<Generator, TemplateError> {
    let min = arguments.required_whole_number("min")?;
    let max = arguments.required_whole_number("max")?;
    if min > max {
        return Err(min_above_max(arguments, min.to_string(), max.to_string()));
    }
    Ok(Generator::Int { min, max })
}

fn float(arguments: &BoundArguments) -> Result<Generator, TemplateError> {
    let (min, max) = required_range(arguments)?;
    let precision = precision(arguments)?;
    // Drawing uniformly needs max - min to be a finite number.
    if !(max.value - min.value).is_finite() {
        return Err(range_too_large(arguments));
    }
    Ok(Generator::Float {
        min: min.value,
        max: max.value,
        precision,
    })
}

fn sine(arguments: &BoundArguments) -> Result<Generator, TemplateError> {
    let (period_seconds, period_written) = arguments
        .seconds("period")?
        .unwrap_or((60.0, "60s".to_owned()));
    if period_seconds <= 0.0 {
        return Err(TemplateError::at(
            position_of(arguments, "period"),
            TemplateErrorKind::PeriodNotPositive {
                found: period_written,
            },
        ));
    }
    Ok(Generator::Sine {
        period_seconds,
        amplitude: number_or(arguments, "amplitude", 1.0)?,
        offset: number_or(arguments, "offset", 0.0)?,
        precision: precision(arguments)?,
    })
}

fn walk(arguments: &BoundArguments) -> Result<Generator, TemplateError> {
    let start = arguments.required_number("start")?;
    let step = arguments.required_number("step")?;
    let (min, max) = required_range(arguments)?;
    let precision = precision(arguments)?;
    if step.value < 0.0 {
        return Err(TemplateError::at(
            position_of(arguments, "step"),
            TemplateErrorKind::NegativeStep {
                found: step.written.clone(),
            },
        ));
    }
    // Each move is drawn from [-step, step], so twice the step must be a finite number.
    if !(step.value * 2.0).is_finite() {
        return Err(range_too_large(arguments));
    }
    if start.value < min.value || start.value > max.value {
        return Err(TemplateError::at(
            position_of(arguments, "start"),
            TemplateErrorKind::StartOutsideBounds {
                start: start.written.clone(),
                min: min.written.clone(),
                max: max.written.clone(),
            },
        ));
    }
    Ok(Generator::Walk {
        start: start.value,
        step: step.value,
        min: min.value,
        max: max.value,
        precision,
    })
}

fn choice(call: &Call, escape_for_json: bool) -> Result<Generator, TemplateError> {
    let mut items = Vec::with_capacity(call.arguments.len());
    for (index, argument) in call.arguments.iter().enumerate() {
        let error = |kind| TemplateError::at(argument.position, kind);
        if argument.name.is_some() {
            return Err(error(TemplateErrorKind::NamedArgumentNotAccepted {
                generator: "choice",
                usage: CHOICE_USAGE,
            }));
        }
        let item = match &argument.value {
            ArgumentValue::Text(text) if escape_for_json => json_string_content(text),
            ArgumentValue::Text(text) => text.clone(),
            ArgumentValue::Number(number) => number.written.clone(),
            other => {
                return Err(error(TemplateErrorKind::WrongArgumentType {
                    generator: "choice",
                    name: format!("item {}", index + 1),
                    expected: "a number or a \"quoted string\"",
                    found: other.describe(),
                }));
            }
        };
        items.push(item);
    }
    if items.is_empty() {
        return Err(TemplateError::at(
            call.name_position,
            TemplateErrorKind::EmptyChoice,
        ));
    }
    Ok(Generator::Choice { items })
}

fn boolean(arguments: &BoundArguments) -> Result<Generator, TemplateError> {
    let Some(probability) = arguments.number("p")? else {
        return Ok(Generator::Bool { probability: 0.5 });
    };
    if !(0.0..=1.0).contains(&probability.value) {
        return Err(TemplateError::at(
            position_of(arguments, "p"),
            TemplateErrorKind::ProbabilityOutOfRange {
                found: probability.written.clone(),
            },
        ));
    }
    Ok(Generator::Bool {
        probability: probability.value,
    })
}

fn timestamp(arguments: &BoundArguments) -> Result<Generator, TemplateError> {
    let Some(argument) = arguments.get("format") else {
        return Ok(Generator::Timestamp(TimestampFormat::UnixMillis));
    };
    let format = match &argument.value {
        ArgumentValue::Word(word) | ArgumentValue::Text(word) => TimestampFormat::from_word(word),
        _ => None,
    };
    format.map(Generator::Timestamp).ok_or_else(|| {
        let found = match &argument.value {
            ArgumentValue::Word(word) => word.clone(),
            other => other.describe(),
        };
        TemplateError::at(
            argument.position,
            TemplateErrorKind::UnknownTimestampFormat { found },
        )
    })
}

/// Reads the optional `precision` argument: decimals to show, 0 to 10, default 2.
fn precision(arguments: &BoundArguments) -> Result<usize, TemplateError> {
    let precision = arguments
        .whole_number("precision")?
        .unwrap_or(DEFAULT_PRECISION);
    match usize::try_from(precision) {
        Ok(decimals) if precision <= MAX_PRECISION => Ok(decimals),
        _ => Err(TemplateError::at(
            position_of(arguments, "precision"),
            TemplateErrorKind::PrecisionOutOfRange {
                generator: arguments.generator(),
                found: precision.to_string(),
            },
        )),
    }
}

fn number_or(arguments: &BoundArguments, name: &str, default: f64) -> Result<f64, TemplateError> {
    Ok(arguments
        .number(name)?
        .map_or(default, |number| number.value))
}

/// Where an argument was written, or the generator name if it was left out.
fn position_of(arguments: &BoundArguments, name: &str) -> super::cursor::Position {
    arguments
        .get(name)
        .map_or(arguments.call_position(), |argument| argument.position)
}

/// The `min` and `max` of a ranged generator, refused when they are the wrong way round.
fn required_range<'a>(
    arguments: &BoundArguments<'a>,
) -> Result<(&'a NumberLiteral, &'a NumberLiteral), TemplateError> {
    let min = arguments.required_number("min")?;
    let max = arguments.required_number("max")?;
    if min.value > max.value {
        return Err(min_above_max(
            arguments,
            min.written.clone(),
            max.written.clone(),
        ));
    }
    Ok((min, max))
}

fn min_above_max(arguments: &BoundArguments, min: String, max: String) -> TemplateError {
    TemplateError::at(
        arguments.call_position(),
        TemplateErrorKind::MinAboveMax {
            generator: arguments.generator(),
            min,
            max,
        },
    )
}

fn range_too_large(arguments: &BoundArguments) -> TemplateError {
    TemplateError::at(
        arguments.call_position(),
        TemplateErrorKind::RangeTooLarge {
            generator: arguments.generator(),
        },
    )
}
