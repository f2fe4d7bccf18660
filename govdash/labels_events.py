"""The case events' labels (event codes, roles, reasons, results, the lifecycle page's words), zh and en; merged
into the one label table, ``govdash.i18n.LABELS``, and read through ``t(key, lang)`` like every other label."""

from __future__ import annotations

EVENT_LABELS: dict[str, tuple[str, str]] = {
    # event codes (schema.EVENTS): office words
    "event_accept": ("受理", "Accepted"),
    "event_register": ("立案", "Registered"),
    "event_dispatch": ("派单", "Dispatched"),
    "event_return": ("退单", "Returned"),
    "event_redispatch": ("重派", "Re-dispatched"),
    "event_extend": ("延期", "Extended"),
    "event_supervise": ("督办", "Supervised"),
    "event_urge": ("催办", "Urged"),
    "event_escalate": ("升级", "Escalated"),
    "event_whistle": ("吹哨", "Whistle (street calls departments)"),
    "event_report": ("报到", "Department reported"),
    "event_handled": ("处置完成", "Handled"),
    "event_verify": ("核查", "Verified"),
    "event_close": ("结案", "Closed"),
    "event_callback": ("回访", "Callback"),
    # the chain's stages (the lifecycle page)
    "stage_accept": ("受理", "Accepted"),
    "stage_dispatch": ("派单", "Dispatched"),
    "stage_handled": ("处置", "Handled"),
    "stage_verify": ("核查", "Verified"),
    "stage_close": ("结案", "Closed"),
    "stage_callback": ("回访", "Callback"),
    # actor roles (schema.ACTOR_ROLES)
    "role_operator": ("受理员", "Operator"),
    "role_dispatcher": ("派单员", "Dispatcher"),
    "role_department": ("职能部门", "Department"),
    "role_street": ("街镇", "Street/town"),
    "role_community": ("社区", "Community"),
    "role_grid_worker": ("网格员", "Grid worker"),
    "role_supervisor": ("督查", "Supervisor"),
    "role_verifier": ("核查员", "Verifier"),
    # reasons (escalation, return, supervision, verification)
    "reason_beyond_community": ("超出社区处置能力", "Beyond the community's means"),
    "reason_cross_department": ("涉及多个部门", "Involves several departments"),
    "reason_repeat_complaint": ("重复投诉", "Repeated complaint"),
    "reason_overdue": ("超期未办结", "Overdue"),
    "reason_major_complex": ("重大复杂", "Major and complex"),
    "reason_not_our_remit": ("不属本部门职责", "Not this department's remit"),
    "reason_not_fixed": ("问题未解决", "Problem not fixed"),
    # results
    "result_passed": ("通过", "Passed"),
    "result_failed": ("不通过，退回处置", "Failed, back to handling"),
    "result_resolved": ("已解决", "Resolved"),
    "result_unresolved": ("未解决", "Not resolved"),
    # the lifecycle page and the case timeline
    "ev_chain": ("办理全流程", "Handling chain"),
    "ev_chain_note": (
        "按工单流转记录统计：各环节工单数为到达该环节的工单；耗时为从上一环节到本环节的中位小时数"
        "（核查未通过时以最后一次处置完成和核查通过为准）。",
        "From the case event log: cases reaching each stage; hours are the median from the previous stage "
        "(after a failed verification, the last handling and the passed verification count).",
    ),
    "ev_median_hours": ("中位耗时（小时）", "Median hours"),
    "ev_share_accepted": ("占受理", "Share of accepted"),
    "ev_rates": ("流转质量", "Handling quality"),
    "ev_return_rate": ("退单率", "Return rate"),
    "ev_redispatch_rate": ("重派率", "Re-dispatch rate"),
    "ev_extension_rate": ("延期率", "Extension rate"),
    "ev_verify_fail_rate": ("核查不通过率", "Failed verification rate"),
    "ev_supervised": ("督办工单", "Cases supervised"),
    "ev_urged": ("催办工单", "Cases urged"),
    "ev_events_n": ("{n}次", "{n} times"),
    "ev_rates_note": (
        "退单率、重派率：退单、重派过的工单占派单工单；延期率：延期过的工单占受理工单；"
        "核查不通过率：未通过的核查占全部核查次数。",
        "Return and re-dispatch rates: cases returned / re-dispatched of cases dispatched; extension rate: cases "
        "extended of cases accepted; failed verification rate: failed verifications of all verifications.",
    ),
    "ev_escalation": ("层级升级（社区→街镇→区）", "Escalation (community → street/town → district)"),
    "ev_path": ("升级路径", "Path"),
    "ev_reason": ("原因", "Reason"),
    "ev_when_hours": ("受理后中位小时", "Median hours after acceptance"),
    "ev_times": ("次数", "Times"),
    "ev_whistle": ("街镇吹哨、部门报到", "Street whistles, departments report"),
    "ev_whistles": ("吹哨次数", "Whistles"),
    "ev_answered": ("已报到", "Reported"),
    "ev_response_median": ("报到中位小时", "Median hours to report"),
    "ev_response_p90": ("报到P90小时", "P90 hours to report"),
    "ev_no_events": ("暂无工单流转记录", "No case events yet"),
    "ev_timeline": ("流转记录", "Event log"),
    "ev_time": ("时间", "Time"),
    "ev_event": ("环节", "Event"),
    "ev_from": ("发起方", "From"),
    "ev_to": ("接收方", "To"),
    "ev_role": ("操作角色", "Role"),
    "ev_new_deadline": ("办理时限", "Deadline"),
    "ev_result": ("结果", "Result"),
    "ev_implied": ("据工单时间推定", "Implied by the case's times"),
    "ev_source": ("来源", "Source"),
    "ev_logged": ("流转记录", "Event log"),
}
