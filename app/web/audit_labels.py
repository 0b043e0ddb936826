"""Vietnamese labels of the audit trail's actions, channels, actors and entities, for the audit
page and an answer's history. An action without a label is shown as its code."""

from __future__ import annotations

from core.i18n import N_

ACTION_LABELS = {
    "answer.record": N_("Answer recorded"),
    "answer.correct": N_("Answer corrected by an administrator"),
    "evidence.attach": N_("Evidence file attached"),
    "evidence.remove": N_("Evidence file removed"),
    "assessment.submit": N_("Score sheet submitted"),
    "assessment.status": N_("Score sheet status changed"),
    "assessment.unlock": N_("Score sheet unlocked"),
    "assessment.deadline": N_("Unit deadline changed"),
    "review.accept": N_("Self score accepted"),
    "review.adjust": N_("Score adjusted"),
    "review.request_explanation": N_("Explanation requested"),
    "review.round2": N_("Round 2 decision"),
    "explanation.submit": N_("Explanation sent"),
    "survey.import": N_("Survey scores imported"),
    "assignment.create": N_("Appraiser assigned"),
    "assignment.delete": N_("Assignment removed"),
    "user.create": N_("Account created"),
    "user.update": N_("Account changed"),
    "user.role": N_("Account role changed"),
    "token.issue": N_("Signed in (session or token issued)"),
    "token.revoke": N_("Session or token ended"),
    "token.revoke_all": N_("All sessions and tokens ended"),
    "auth.login": N_("Successful sign-in"),
    "auth.failed": N_("Failed sign-in"),
    "period.create": N_("Period created"),
    "period.update": N_("Period changed"),
    "period.deadline": N_("Period deadline changed"),
    "period.publish": N_("Results published"),
    "period.bands": N_("Classification bands changed"),
    "criteria_set.import": N_("Criteria set imported"),
    "criteria_set.freeze": N_("Criteria set frozen"),
    "export.consolidated": N_("Consolidated workbook downloaded"),
    "export.scorecard": N_("Scorecard downloaded"),
    "export.register": N_("Evidence register downloaded"),
    "export.evidence_zip": N_("Evidence files downloaded"),
    "evidence.attach_explanation": N_("File attached to an explanation"),
    "extension.request": N_("Extension requested"),
    "extension.decide": N_("Extension decided"),
}
CHANNEL_LABELS = {
    "bot": N_("Telegram bot"),
    "web": N_("Web pages"),
    "api": N_("JSON API"),
    "cli": N_("Command line"),
    "scheduler": N_("Scheduler"),
    "system": N_("System"),
}
ACTOR_LABELS = {
    "user": N_("account"),
    "officer": N_("officer"),
    "system": N_("system"),
}
ENTITY_LABELS = {
    "answer": N_("answer"),
    "review": N_("review"),
    "evidence": N_("evidence file"),
    "explanation": N_("explanation"),
    "assessment": N_("score sheet"),
    "period": N_("period"),
    "backoffice_user": N_("account"),
    "api_token": N_("session or token"),
    "login": N_("sign-in"),
    "survey_score": N_("survey scores"),
    "appraiser_assignment": N_("assignment"),
    "appraiser_unit_assignment": N_("unit assignment"),
    "criteria_set": N_("criteria set"),
    "extension_request": N_("extension request"),
}
