package main

// What this govmomi (0.24) build lacks for the events tool group, filled in
// so that the tests see what vCenter does:
//
//   - Task history: vcsim has no TaskManager.CreateCollectorForTasks (a
//     simulator gap). taskHistory adds it: a TaskHistoryCollector over the
//     TaskManager's recent tasks (vCenter keeps more; 200 are plenty for
//     tests) honouring the filter's entity (with recursion), state, time
//     window and user, whose latestPage is the newest `page size` of them
//     and follows new tasks and their states, for property collectors too.
//   - Alarms: vcsim defines no alarms and triggers none. With -alarms the
//     harness defines two and triggers them (a red one on the first host, a
//     yellow acknowledged one on the first VM), propagating each to the
//     entity's ancestors' triggeredAlarmState as vCenter does.
//
// Not fixed: vcsim's event collectors ignore EventFilterSpec.time (its own
// TODO), which the events group's paging tolerates.

import (
	"sort"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// taskHistory is the TaskManager with task history collectors.
type taskHistory struct {
	*simulator.TaskManager
}

// CreateCollectorForTasks creates a collector for the filter, with vCenter's
// default page size of 10.
func (m *taskHistory) CreateCollectorForTasks(ctx *simulator.Context, req *types.CreateCollectorForTasks) soap.HasFault {
	c := &taskCollector{manager: m.TaskManager, spec: req.Filter, size: 10}
	c.Filter = req.Filter
	c.Self.Type = "TaskHistoryCollector" // not the Go type's name
	ref := ctx.Session.Put(c).Reference()
	c.refresh()
	simulator.Map.AddHandler(c)
	return &methods.CreateCollectorForTasksBody{Res: &types.CreateCollectorForTasksResponse{Returnval: ref}}
}

// taskCollector is one TaskHistoryCollector.
type taskCollector struct {
	mo.TaskHistoryCollector
	manager *simulator.TaskManager
	spec    types.TaskFilterSpec
	size    int
}

// SetCollectorPageSize sizes (and refreshes) the latest page.
func (c *taskCollector) SetCollectorPageSize(ctx *simulator.Context, req *types.SetCollectorPageSize) soap.HasFault {
	body := new(methods.SetCollectorPageSizeBody)
	if req.MaxCount < 1 || req.MaxCount > 1000 {
		body.Fault_ = simulator.Fault("", &types.InvalidArgument{InvalidProperty: "maxCount"})
		return body
	}
	c.size = int(req.MaxCount)
	c.refresh()
	body.Res = new(types.SetCollectorPageSizeResponse)
	return body
}

// DestroyCollector drops the collector from the session.
func (c *taskCollector) DestroyCollector(ctx *simulator.Context, req *types.DestroyCollector) soap.HasFault {
	simulator.Map.RemoveHandler(c)
	ctx.Session.Remove(req.This)
	return &methods.DestroyCollectorBody{Res: new(types.DestroyCollectorResponse)}
}

// UpdateObject follows the tasks: when one is queued or changes state, the
// latest page is recomputed and sent to property collector clients, as
// vCenter's is (a client watching latestPage sees each task come and end).
func (c *taskCollector) UpdateObject(obj mo.Reference, changes []types.PropertyChange) {
	switch obj.Reference().Type {
	case "Task", "TaskManager":
		c.refresh()
		simulator.Map.Update(c, []types.PropertyChange{{Name: "latestPage", Val: c.LatestPage}})
	}
}

// PutObject is part of the registry's handler interface; new tasks arrive
// through the TaskManager's recentTask instead.
func (c *taskCollector) PutObject(mo.Reference) {}

// RemoveObject is part of the registry's handler interface.
func (c *taskCollector) RemoveObject(types.ManagedObjectReference) {}

// refresh recomputes latestPage: the newest matching tasks, oldest first.
func (c *taskCollector) refresh() {
	var infos []types.TaskInfo
	for _, ref := range c.manager.RecentTask {
		task, ok := simulator.Map.Get(ref).(*simulator.Task)
		if ok && c.matches(task.Info) {
			infos = append(infos, task.Info)
		}
	}
	sort.SliceStable(infos, func(i, j int) bool { return infos[i].QueueTime.Before(infos[j].QueueTime) })
	if len(infos) > c.size {
		infos = infos[len(infos)-c.size:]
	}
	c.LatestPage = infos
}

func (c *taskCollector) matches(info types.TaskInfo) bool {
	spec := c.spec
	if len(spec.State) > 0 {
		found := false
		for _, s := range spec.State {
			found = found || s == info.State
		}
		if !found {
			return false
		}
	}
	if spec.Entity != nil && (info.Entity == nil || !within(*info.Entity, spec.Entity.Entity, spec.Entity.Recursion)) {
		return false
	}
	if spec.Time != nil {
		at := info.QueueTime
		switch spec.Time.TimeType {
		case types.TaskFilterSpecTimeOptionStartedTime:
			if info.StartTime == nil {
				return false
			}
			at = *info.StartTime
		case types.TaskFilterSpecTimeOptionCompletedTime:
			if info.CompleteTime == nil {
				return false
			}
			at = *info.CompleteTime
		}
		if spec.Time.BeginTime != nil && at.Before(*spec.Time.BeginTime) {
			return false
		}
		if spec.Time.EndTime != nil && at.After(*spec.Time.EndTime) {
			return false
		}
	}
	if spec.UserName != nil && len(spec.UserName.UserList) > 0 {
		user, _ := info.Reason.(*types.TaskReasonUser)
		found := false
		for _, u := range spec.UserName.UserList {
			found = found || (user != nil && u == user.UserName)
		}
		if !found {
			return false
		}
	}
	return true
}

// within says whether ref is target or (by recursion) below it.
func within(ref, target types.ManagedObjectReference, recursion types.TaskFilterSpecRecursionOption) bool {
	if ref == target {
		return recursion != types.TaskFilterSpecRecursionOptionChildren
	}
	if recursion == types.TaskFilterSpecRecursionOptionSelf {
		return false
	}
	for _, above := range ancestors(ref) {
		if above == target {
			return true
		}
	}
	return false
}

// ancestors lists an entity's parents, nearest first.
func ancestors(ref types.ManagedObjectReference) []types.ManagedObjectReference {
	var out []types.ManagedObjectReference
	for i := 0; i < 64; i++ {
		entity, ok := simulator.Map.Get(ref).(mo.Entity)
		if !ok || entity.Entity().Parent == nil {
			return out
		}
		ref = *entity.Entity().Parent
		out = append(out, ref)
	}
	return out
}

// triggerAlarms defines two alarms (on the root folder, as vCenter's own
// are) and triggers them on the model's first
// host (red) and first VM (yellow, acknowledged).
func triggerAlarms(root types.ManagedObjectReference) {
	now := time.Now()
	hostAlarm := defineAlarm(root, "alarm-1", "Host CPU usage")
	vmAlarm := defineAlarm(root, "alarm-2", "Virtual machine memory usage")
	if hosts := simulator.Map.All("HostSystem"); len(hosts) > 0 {
		trigger(hosts[0].Reference(), hostAlarm, types.ManagedEntityStatusRed, now.Add(-40*time.Minute), "")
	}
	if vms := simulator.Map.All("VirtualMachine"); len(vms) > 0 {
		trigger(vms[0].Reference(), vmAlarm, types.ManagedEntityStatusYellow, now.Add(-15*time.Minute), "VSPHERE.LOCAL\\alice")
	}
}

func defineAlarm(root types.ManagedObjectReference, id, name string) types.ManagedObjectReference {
	ref := types.ManagedObjectReference{Type: "Alarm", Value: id}
	alarm := &mo.Alarm{}
	alarm.Self = ref
	alarm.Info = types.AlarmInfo{
		AlarmSpec: types.AlarmSpec{
			Name:        name,
			Description: name + " (vcsim harness)",
			Enabled:     true,
			// A nil expression would be encoded without its type.
			Expression: &types.OrAlarmExpression{},
		},
		Key:              id,
		Alarm:            ref,
		Entity:           root,
		LastModifiedTime: time.Now(),
	}
	simulator.Map.Put(alarm)
	return ref
}

func trigger(entity, alarm types.ManagedObjectReference, status types.ManagedEntityStatus, at time.Time, acknowledgedBy string) {
	state := types.AlarmState{
		Key:           alarm.Value + "." + entity.Value,
		Entity:        entity,
		Alarm:         alarm,
		OverallStatus: status,
		Time:          at,
	}
	if acknowledgedBy != "" {
		yes := true
		when := at.Add(10 * time.Minute)
		state.Acknowledged = &yes
		state.AcknowledgedByUser = acknowledgedBy
		state.AcknowledgedTime = &when
	}
	for _, ref := range append([]types.ManagedObjectReference{entity}, ancestors(entity)...) {
		obj, ok := simulator.Map.Get(ref).(mo.Entity)
		if !ok {
			continue
		}
		states := append(append([]types.AlarmState{}, obj.Entity().TriggeredAlarmState...), state)
		simulator.Map.Update(obj, []types.PropertyChange{{Name: "triggeredAlarmState", Val: states}})
	}
}
