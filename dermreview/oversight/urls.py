from __future__ import annotations

from django.urls import path

from dermreview.oversight.views import accuracy, alarms, audit, dashboard, governance

app_name = "oversight"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("charts/<slug:name>.svg", dashboard.chart, name="chart"),
    path("alarms/", alarms.alarm_list, name="alarms"),
    path("alarms/<int:pk>/acknowledge/", alarms.alarm_acknowledge_view, name="alarm_acknowledge"),
    path("alarms/<int:pk>/resolve/", alarms.alarm_resolve_view, name="alarm_resolve"),
    path("audit/", audit.audit_list, name="audit"),
    path("audit/export.csv", audit.audit_export, name="audit_export"),
    path("audit/verify/", audit.audit_verify, name="audit_verify"),
    path("governance/", governance.governance, name="governance"),
    path("governance/global-switch/", governance.global_switch, name="global_switch"),
    path("accuracy/", accuracy.accuracy, name="accuracy"),
]
