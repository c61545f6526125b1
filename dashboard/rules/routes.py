"""The rules pages: the ordered list, the form (new, edit, from a transaction), moving, deleting and
"Apply to existing transactions" (a preview of what would change, then the change)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from dashboard.access import READ, WRITE, account_or_404, rule_or_404, scope_for, storable_id, transaction_or_404
from dashboard.audit import Actor
from dashboard.categories.services import categories_of
from dashboard.extensions import db
from dashboard.rules.application import apply_preview, apply_rules, stored_rules
from dashboard.rules.definitions import RuleError
from dashboard.rules.forms import ActionForm, ApplyForm, RuleForm
from dashboard.rules.services import create_rule, delete_rule, edit_rule, move_rule, rule_from_transaction

bp = Blueprint("rules", __name__, url_prefix="/rules")
PREVIEW_LIMIT = 200


def _actor() -> Actor:
    return Actor(current_user.id, request.remote_addr)


@bp.get("")
@login_required
def index():
    scope = scope_for(current_user)
    return render_template("rules/index.html", rules=stored_rules(db.session, scope.owner_id), action=ActionForm())


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """A new rule; ``?transaction=<id>`` fills the form from one of the user's transactions."""
    scope = scope_for(current_user)
    form = RuleForm()
    if request.method == "GET" and request.args.get("transaction"):
        transaction_id = request.args.get("transaction", type=int)
        if transaction_id is None:
            abort(404)
        form.fill(rule_from_transaction(db.session, scope, transaction_or_404(db.session, scope, transaction_id,
                                                                              READ)))
    definition = form.definition()
    if definition is not None:
        try:
            rule = create_rule(db.session, scope, _actor(), definition)
        except RuleError as error:
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(f"Rule “{rule.name}” saved. Apply it to the transactions you already have below.", "success")
            return redirect(url_for(".apply", rule=rule.id))
    return _form_page(form, None)


@bp.route("/<int:rule_id>", methods=["GET", "POST"])
@login_required
def edit(rule_id: int):
    scope = scope_for(current_user)
    rule = rule_or_404(db.session, scope, rule_id)
    form = RuleForm()
    if request.method == "GET":
        form.fill({"name": rule.name, "match": rule.match, "stop": rule.stop, "conditions": rule.conditions,
                   "actions": rule.actions})
    definition = form.definition()
    if definition is not None:
        edit_rule(db.session, scope, _actor(), rule.id, definition)
        db.session.commit()
        flash(f"Rule “{definition.name}” saved.", "success")
        return redirect(url_for(".index"))
    return _form_page(form, rule)


def _form_page(form: RuleForm, rule):
    categories = [c.name for c in categories_of(db.session, scope_for(current_user))]
    db.session.commit()  # the seeded list, when this was the first look at it
    return render_template("rules/form.html", form=form, rule=rule, categories=categories)


@bp.post("/<int:rule_id>/move")
@login_required
def move(rule_id: int):
    form = ActionForm()
    steps = -1 if request.form.get("direction") == "up" else 1
    if form.validate() and move_rule(db.session, scope_for(current_user), _actor(), rule_id, steps):
        db.session.commit()
    else:
        rule_or_404(db.session, scope_for(current_user), rule_id)
    return redirect(url_for(".index"))


@bp.post("/<int:rule_id>/delete")
@login_required
def delete(rule_id: int):
    form = ActionForm()
    rule = rule_or_404(db.session, scope_for(current_user), rule_id)
    if form.validate():
        name = rule.name
        delete_rule(db.session, scope_for(current_user), _actor(), rule_id)
        db.session.commit()
        flash(f"Rule “{name}” deleted.", "success")
    return redirect(url_for(".index"))


@bp.route("/apply", methods=["GET", "POST"])
@login_required
def apply():
    """GET: how many and which rows the rules (or one rule, ``?rule=``) would change; POST: change them."""
    scope = scope_for(current_user)
    account = _account_argument(scope)
    rule = _rule_argument(scope)
    rule_ids = [rule.id] if rule is not None else None
    form = ApplyForm()
    if request.method == "POST" and form.validate():
        result = apply_rules(db.session, scope, _actor(), account.id if account else None, rule_ids)
        db.session.commit()
        kept = (f"; {result.split_kept} split transaction{'s' if result.split_kept != 1 else ''} kept "
                f"the categories of {'their' if result.split_kept != 1 else 'its'} parts" if result.split_kept else "")
        flash(f"Rules matched {result.matched} transaction{'s' if result.matched != 1 else ''} "
              f"and changed {result.changed}{kept}.", "success")
        return redirect(url_for(".apply", account=account.id if account else None, rule=rule.id if rule else None))
    result = apply_preview(db.session, scope, account.id if account else None, rule_ids)
    return render_template("rules/apply.html", result=result, changes=result.changes[:PREVIEW_LIMIT],
                           account=account, rule=rule, form=form)


def _account_argument(scope):
    value = request.values.get("account", "")
    if not value:
        return None
    if not value.isdigit() or not storable_id(int(value)):
        abort(404)
    return account_or_404(db.session, scope, int(value), WRITE)


def _rule_argument(scope):
    value = request.values.get("rule", "")
    if not value:
        return None
    if not value.isdigit():
        abort(404)
    return rule_or_404(db.session, scope, int(value))
