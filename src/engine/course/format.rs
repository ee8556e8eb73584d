//! Course files (TOML): a title, a description and steps, each with text, snippets and a check from
//! the vocabulary in `check.rs`; every mistake is refused with the step (number and id) and field named.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use super::check::Check;
use super::check_params::parse_check;
use super::{CourseOverview, CourseSnippet, StepInfo};
use crate::engine::limited_read::{LimitedReadError, read_limited};

/// The largest course file the app opens.
pub const MAX_COURSE_FILE_BYTES: u64 = 1024 * 1024;
/// The most steps a course may have.
pub const MAX_STEPS: usize = 200;
/// The most snippets one step may have.
pub const MAX_SNIPPETS: usize = 20;

/// The built-in course's file, compiled in.
pub const BUILT_IN_COURSE_TOML: &str =
    include_str!("../../../assets/courses/mqtt-in-12-steps.toml");

/// Why a course file was refused, in words a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum CourseFileError {
    #[error(transparent)]
    Read(#[from] LimitedReadError),
    #[error("{source_name} is not valid TOML: {message}")]
    Syntax {
        source_name: String,
        message: String,
    },
    #[error("{source_name}: {field} {problem}")]
    Course {
        source_name: String,
        field: &'static str,
        problem: String,
    },
    #[error("{source_name} has no steps; add at least one [[steps]] table")]
    NoSteps { source_name: String },
    #[error("{source_name} has {count} steps; a course may have at most {MAX_STEPS}")]
    TooManySteps { source_name: String, count: usize },
    #[error("{source_name}, step {number} ({id}): {field} {problem}")]
    Step {
        source_name: String,
        number: usize,
        /// The step's id in quotes, or "no id".
        id: String,
        field: String,
        problem: String,
    },
}

/// One step's check and how its misses are worded.
#[derive(Debug, Clone, PartialEq)]
pub struct CourseStep {
    pub check: Check,
    /// Replaces the check's own hint on every near miss, when the course gives one.
    pub hint: Option<String>,
}

/// A course ready to run: what front ends show, and the checks.
#[derive(Debug, Clone, PartialEq)]
pub struct Course {
    pub overview: CourseOverview,
    pub steps: Vec<CourseStep>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCourse {
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    steps: Vec<toml::Table>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    id: String,
    title: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    snippets: Vec<RawSnippet>,
    check: toml::Table,
    #[serde(default)]
    hint: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSnippet {
    label: String,
    template: String,
}

impl Course {
    /// The course that ships with the app.
    pub fn built_in() -> Result<Self, CourseFileError> {
        Self::parse(BUILT_IN_COURSE_TOML, "built-in")
    }

    /// Reads a course file (size-limited).
    pub fn open(path: &Path) -> Result<Self, CourseFileError> {
        let bytes = read_limited(path, MAX_COURSE_FILE_BYTES)?;
        let name = path.display().to_string();
        let text = String::from_utf8(bytes).map_err(|_| CourseFileError::Syntax {
            source_name: name.clone(),
            message: "the file is not UTF-8 text".to_owned(),
        })?;
        Self::parse(&text, &name)
    }

    /// Reads a course from TOML text; `source_name` names it in errors and in the overview.
    pub fn parse(text: &str, source_name: &str) -> Result<Self, CourseFileError> {
        let raw: RawCourse = toml::from_str(text).map_err(|e| CourseFileError::Syntax {
            source_name: source_name.to_owned(),
            message: e.to_string().trim().to_owned(),
        })?;
        let course_problem = |field, problem: &str| CourseFileError::Course {
            source_name: source_name.to_owned(),
            field,
            problem: problem.to_owned(),
        };
        if raw.title.trim().is_empty() {
            return Err(course_problem("title", "is empty; give the course a title"));
        }
        if raw.steps.is_empty() {
            return Err(CourseFileError::NoSteps {
                source_name: source_name.to_owned(),
            });
        }
        if raw.steps.len() > MAX_STEPS {
            return Err(CourseFileError::TooManySteps {
                source_name: source_name.to_owned(),
                count: raw.steps.len(),
            });
        }
        let mut seen_ids: HashMap<String, usize> = HashMap::new();
        let mut infos = Vec::with_capacity(raw.steps.len());
        let mut steps = Vec::with_capacity(raw.steps.len());
        for (index, table) in raw.steps.into_iter().enumerate() {
            let number = index + 1;
            let id_text = match table.get("id").and_then(toml::Value::as_str) {
                Some(id) => format!("\"{id}\""),
                None => "no id".to_owned(),
            };
            let fail = |field: &str, problem: String| CourseFileError::Step {
                source_name: source_name.to_owned(),
                number,
                id: id_text.clone(),
                field: field.to_owned(),
                problem,
            };
            let raw_step: RawStep =
                toml::Value::Table(table)
                    .try_into()
                    .map_err(|e: toml::de::Error| {
                        let message = e.message().trim().to_owned();
                        let field = field_named_in(&message).unwrap_or("step");
                        fail(field, message.replace('`', "\""))
                    })?;
            let id = raw_step.id.trim();
            if id.is_empty() {
                return Err(fail(
                    "id",
                    "is empty; give each step a short unique id such as \"qos1\"".into(),
                ));
            }
            if let Some(first) = seen_ids.insert(id.to_owned(), number) {
                return Err(fail(
                    "id",
                    format!("\"{id}\" is used by step {first} too; step ids must be unique"),
                ));
            }
            if raw_step.title.trim().is_empty() {
                return Err(fail("title", "is empty; give the step a title".into()));
            }
            if raw_step.snippets.len() > MAX_SNIPPETS {
                return Err(fail(
                    "snippets",
                    format!(
                        "has {} entries; a step may have at most {MAX_SNIPPETS}",
                        raw_step.snippets.len()
                    ),
                ));
            }
            for (n, snippet) in raw_step.snippets.iter().enumerate() {
                if snippet.template.trim().is_empty() {
                    return Err(fail(
                        &format!("snippets[{}].template", n + 1),
                        "is empty; write the command or code to copy".into(),
                    ));
                }
            }
            let check = parse_check(&raw_step.check).map_err(|p| fail(&p.field, p.problem))?;
            infos.push(StepInfo {
                id: id.to_owned(),
                title: raw_step.title.trim().to_owned(),
                text: raw_step.text.trim().to_owned(),
                snippets: raw_step
                    .snippets
                    .into_iter()
                    .map(|s| CourseSnippet {
                        label: s.label,
                        template: s.template.trim_end().to_owned(),
                    })
                    .collect(),
                check_summary: check.summary(),
            });
            steps.push(CourseStep {
                check,
                hint: raw_step.hint.filter(|h| !h.trim().is_empty()),
            });
        }
        Ok(Course {
            overview: CourseOverview {
                title: raw.title.trim().to_owned(),
                description: raw.description.trim().to_owned(),
                source: source_name.to_owned(),
                steps: infos,
            },
            steps,
        })
    }
}

/// The field a serde message is about ("missing field `check`" → `check`).
fn field_named_in(message: &str) -> Option<&'static str> {
    [
        "id", "title", "text", "snippets", "check", "hint", "label", "template",
    ]
    .into_iter()
    .find(|f| message.contains(&format!("`{f}`")))
}
