from django.urls import path

from incasso.collections.views import customer, team, worklist

app_name = "collections"
urlpatterns = [
    path("", worklist.worklist, name="worklist"),
    path("entries/<int:pk>/done/", worklist.entry_done, name="entry_done"),
    path("tasks/<int:pk>/done/", worklist.task_done, name="task_done"),
    path("notices/read/", worklist.notices_read, name="notices_read"),
    path("customers/<int:pk>/panel/", customer.panel, name="customer_panel"),
    path("customers/<int:pk>/log/", customer.log, name="log_activity"),
    path("customers/<int:pk>/email/preview/", customer.email_preview, name="email_preview"),
    path("customers/<int:pk>/email/send/", customer.email_send, name="email_send"),
    path("team/", team.team, name="team"),
    path("team/reassign/", team.reassign, name="reassign"),
    path("team/absence/", team.absence, name="absence"),
    path("team/task/", team.task, name="task"),
    path("team/escalate/", team.escalate, name="escalate"),
    path("team/assignment/", team.assignment, name="assignment"),
    path("strategies/", team.strategies, name="strategies"),
    path("strategies/new/", team.strategy_edit, name="strategy_new"),
    path("strategies/<slug:code>/", team.strategy_edit, name="strategy_edit"),
]
