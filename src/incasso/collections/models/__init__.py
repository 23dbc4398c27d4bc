from incasso.collections.models.activities import Activity, Notification, Promise, PromiseItem, SentEmail
from incasso.collections.models.plans import Instalment, PaymentPlan, PlanItem
from incasso.collections.models.portfolio import Absence, AssignmentRule, Escalation, ManualAssignment, Task
from incasso.collections.models.strategy import Strategy, StrategyRule
from incasso.collections.models.worklist import WorklistEntry

__all__ = [
    "Absence", "Activity", "AssignmentRule", "Escalation", "Instalment", "ManualAssignment", "Notification",
    "PaymentPlan", "PlanItem", "Promise", "PromiseItem", "SentEmail", "Strategy", "StrategyRule", "Task",
    "WorklistEntry",
]
