//! `listTasks`: vCenter's tasks, recent and past, newest first, a page at a
//! time through a task history collector (see `history`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use vmware_plugin_sdk::paging::{self, PageRow, Paged, Paging};
use vmware_plugin_sdk::prelude::*;

use crate::entity::{self, EntityRef};
use crate::history::{self, History, Position};
use crate::since;

/// Rows per page: 50 by default, at most 200 (under 100 KB).
pub const PAGING: Paging = Paging {
    default: 50,
    max: 200,
};

/// A task's state, as vSphere's `TaskInfoState` names them: waiting to
/// run, running, finished, failed. (The variants carry no doc comments of
/// their own, so the schema states a plain enum.)
#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub enum TaskState {
    Queued,
    Running,
    Success,
    Error,
}

impl TaskState {
    fn as_str(self) -> &'static str {
        match self {
            TaskState::Queued => "queued",
            TaskState::Running => "running",
            TaskState::Success => "success",
            TaskState::Error => "error",
        }
    }
}

/// `listTasks` arguments.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ListArgs {
    /// VM, host, cluster or datastore.
    #[schemars(length(min = 1))]
    pub entity: Option<String>,
    /// Only tasks in this state.
    pub state: Option<TaskState>,
    /// RFC 3339 time or duration (2h).
    #[schemars(length(min = 1))]
    pub since: Option<String>,
    /// Rows per page, 1 to 200 (default 50).
    #[schemars(range(min = 1, max = PAGING.max), extend("default" = PAGING.default))]
    pub limit: Option<u32>,
    /// nextCursor of the previous page.
    #[schemars(length(min = 1))]
    pub cursor: Option<String>,
}

/// One task.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TaskRow {
    /// Method, e.g. PowerOnVM_Task.
    pub name: String,
    /// What it acted on.
    pub entity: Option<EntityRef>,
    /// State.
    pub state: String,
    /// Percent done.
    pub progress: Option<i64>,
    /// Who started it.
    pub user: Option<String>,
    /// Queued at.
    pub queued: String,
    /// Started at.
    pub started: Option<String>,
    /// Completed at.
    pub completed: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// Task id.
    pub id: String,
}

impl PageRow for TaskRow {
    const ROWS: &'static str = "tasks";
    const COUNTED: bool = false;
}

/// The fields of a vSphere `TaskInfo` a row shows; the rest is skipped as
/// it is read.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TaskRecord {
    key: String,
    name: Option<String>,
    description_id: Option<String>,
    entity: Option<MoRef>,
    entity_name: Option<String>,
    state: Option<String>,
    progress: Option<i64>,
    reason: Option<TaskReason>,
    queue_time: String,
    start_time: Option<String>,
    complete_time: Option<String>,
    error: Option<TaskFault>,
}

/// Why a task ran: a user's task names the user.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TaskReason {
    #[serde(rename = "_typeName")]
    type_name: Option<String>,
    user_name: Option<String>,
}

/// A failed task's fault (`LocalizedMethodFault`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TaskFault {
    localized_message: Option<String>,
    fault: Option<FaultBody>,
}

/// The fault itself, whose `msg` says why when no localized message does.
#[derive(Debug, Deserialize)]
struct FaultBody {
    msg: Option<String>,
}

impl TaskRecord {
    /// The key's number (`task-123` → 123), which grows with each task.
    fn sequence(&self) -> Option<i64> {
        self.key.rsplit('-').next()?.parse().ok()
    }

    /// Where the task stands: its queue time, then its number.
    fn position(&self) -> Option<Position> {
        Some((
            since::parse(&self.queue_time)?,
            self.sequence().unwrap_or(0),
        ))
    }

    /// Who started it: the user of a user's task, else the reason's type.
    fn user(&self) -> Option<String> {
        let reason = self.reason.as_ref()?;
        reason
            .user_name
            .clone()
            .or_else(|| reason.type_name.clone())
    }

    /// Why it failed.
    fn error(&self) -> Option<String> {
        let error = self.error.as_ref()?;
        error
            .localized_message
            .clone()
            .or_else(|| error.fault.as_ref()?.msg.clone())
    }
}

/// One page of tasks matching `args`.
pub fn list_tasks(args: &ListArgs) -> Result<Paged<TaskRow>> {
    let limit = PAGING.limit(args.limit)?;
    if let Some(since) = &args.since {
        since::check(since)?;
    }
    let mut filter = json!({"_typeName": "TaskFilterSpec"});
    if let Some(entity) = &args.entity {
        let entity = entity::resolve(entity)?;
        filter["entity"] = json!({
            "_typeName": "TaskFilterSpecByEntity",
            "entity": entity.reference.to_json(),
            "recursion": "all",
        });
    }
    if let Some(state) = args.state {
        filter["state"] = json!([state.as_str()]);
    }
    let query = paging::fingerprint(&[
        args.entity.as_deref().unwrap_or(""),
        args.since.as_deref().unwrap_or(""),
        args.state.map(TaskState::as_str).unwrap_or(""),
    ]);
    let begin = args.since.as_deref().map(since::start).transpose()?;
    let page = history::page(
        History::Tasks,
        filter,
        begin,
        limit,
        args.cursor.as_deref(),
        query,
        TaskRecord::position,
    )?;
    let entities: Vec<Option<(MoRef, String)>> = page
        .items
        .iter()
        .map(|task| {
            Some((
                task.entity.clone()?,
                task.entity_name.clone().unwrap_or_default(),
            ))
        })
        .collect();
    let known: Vec<(MoRef, String)> = entities.iter().flatten().cloned().collect();
    let mut described = entity::describe(&known).into_iter();
    let rows = page
        .items
        .into_iter()
        .zip(entities)
        .map(|(task, entity)| TaskRow {
            entity: entity.and_then(|_| described.next()),
            user: task.user(),
            error: task.error(),
            name: task.name.or(task.description_id).unwrap_or_default(),
            progress: task.progress,
            state: task.state.unwrap_or_default(),
            queued: task.queue_time,
            started: task.start_time,
            completed: task.complete_time,
            id: task.key,
        })
        .collect();
    Ok(Paged {
        total: None,
        rows,
        next_cursor: page.next_cursor,
    })
}
