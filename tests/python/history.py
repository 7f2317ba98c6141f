"""Reads vCenter's history with pyVmomi, as the events tools' e2e test
compares it: prints one JSON object with
  events: [{key, type, time, message, user, entity: {id, recorded}}]
          (an EventHistoryCollector's
          latest page of 1,000, sorted newest first)
  tasks:  [{id, name, state, entity, time, started, completed, progress,
           user, error}]                        (a TaskHistoryCollector's)
  alarms: [{alarm, entity, status, time, acknowledged, acknowledgedBy}]
          (the root folder's triggeredAlarmState)
Times are UTC to the second: YYYY-MM-DDTHH:MM:SS.

usage: history.py URL USER PASSWORD
"""
import json
import ssl
import sys
from datetime import timezone
from urllib.parse import urlparse

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim


def second(t):
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") if t else None


# The event arguments that name an entity, most specific first, with the
# attribute holding the reference: the order listEvents picks one by.
ENTITY_ARGUMENTS = [("entity", "entity"), ("vm", "vm"), ("host", "host"), ("ds", "datastore"),
                    ("net", "network"), ("computeResource", "computeResource"),
                    ("datacenter", "datacenter")]


def subject(event):
    for field, link in ENTITY_ARGUMENTS:
        argument = getattr(event, field, None)
        reference = getattr(argument, link, None) if argument is not None else None
        if reference is not None:
            return {"id": reference._moId, "recorded": argument.name}
    return None


def events(content):
    collector = content.eventManager.CreateCollectorForEvents(filter=vim.event.EventFilterSpec())
    try:
        collector.SetCollectorPageSize(1000)
        page = collector.latestPage or []
    finally:
        collector.DestroyCollector()
    rows = [{"key": e.key, "type": e._wsdlName, "time": second(e.createdTime),
             "message": e.fullFormattedMessage or "", "user": e.userName or None,
             "entity": subject(e)} for e in page]
    return sorted(rows, key=lambda r: (r["time"], r["key"]), reverse=True)


def tasks(content):
    collector = content.taskManager.CreateCollectorForTasks(filter=vim.TaskFilterSpec())
    try:
        collector.SetCollectorPageSize(1000)
        page = collector.latestPage or []
    finally:
        collector.DestroyCollector()
    # TaskInfo.name is a vmodl.ManagedMethod; one pyVmomi does not know
    # (vcsim names tasks like `PowerOff`) still carries its wire name.
    return [{"id": t.key, "name": t.name if isinstance(t.name, str) else t.name.name,
             "state": t.state,
             "entity": t.entity._moId if t.entity else None, "time": second(t.queueTime),
             "started": second(t.startTime), "completed": second(t.completeTime),
             "progress": t.progress,
             "user": getattr(t.reason, "userName", None) or type(t.reason).__name__.split(".")[-1],
             "error": t.error.localizedMessage if t.error else None}
            for t in page]


def alarms(content):
    return [{"alarm": s.alarm.info.name, "entity": s.entity._moId, "status": s.overallStatus,
             "time": second(s.time), "acknowledged": bool(s.acknowledged),
             "acknowledgedBy": s.acknowledgedByUser or None}
            for s in content.rootFolder.triggeredAlarmState or []]


def main(url, user, password):
    parsed = urlparse(url)
    context = ssl._create_unverified_context() if parsed.scheme == "https" else None
    si = SmartConnect(host=parsed.hostname, port=parsed.port, user=user, pwd=password,
                      protocol=parsed.scheme, sslContext=context)
    try:
        content = si.RetrieveContent()
        print(json.dumps({"events": events(content), "tasks": tasks(content),
                          "alarms": alarms(content)}, default=str))
    finally:
        Disconnect(si)


if __name__ == "__main__":
    main(*sys.argv[1:4])
