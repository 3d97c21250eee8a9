"""ldap3 results to Fixline errors: by result code and AD sub-code, never by wording."""

from __future__ import annotations

import pytest

from runner_api.directory import errors


def _result(code: int, message: str, description: str = "x") -> dict[str, object]:
    return {"result": code, "message": message, "description": description}


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ("52e", "invalid credentials"),
        ("533", "account disabled"),
        ("775", "account locked out"),
        ("773", "password must be changed at next logon"),
    ],
)
def test_bind_failures_by_data_code(data: str, reason: str) -> None:
    # Real AD and Samba word the rest differently; only `data XXX` is relied on.
    result = _result(49, f"80090308: LdapErr: DSID-0C09, whatever, data {data}, v1db1")
    error = errors.result_error(result, "bind", "CN=x")
    assert isinstance(error, errors.DirectoryBindError)
    assert error.data_code == data
    assert reason in error.message and f"data {data}" in error.message


def test_insufficient_rights_names_the_ou_problem() -> None:
    error = errors.result_error(_result(50, "anything at all"), "modify", "CN=u,CN=Users,DC=x")
    assert isinstance(error, errors.DirectoryAccessDeniedError)
    assert "lacks the delegated right" in error.message and "CN=Users" in error.message


def test_policy_violation_says_which_rule() -> None:
    samba = (
        "0000052D: Constraint violation - check_password_restrictions: the password is too short!"
    )
    error = errors.result_error(_result(19, samba), "modify", "CN=u")
    assert isinstance(error, errors.PasswordPolicyError)
    assert "the password is too short" in error.message
    ad = "0000052D: SvcErr: DSID-031A12D2, problem 5003 (WILL_NOT_PERFORM), data 0"
    error = errors.result_error(_result(19, ad), "modify", "CN=u")
    assert isinstance(error, errors.PasswordPolicyError)
    assert "length, complexity, history or minimum age" in error.message


def test_other_codes_keep_their_number() -> None:
    error = errors.result_error(
        _result(19, "some other constraint", "constraintViolation"), "m", "d"
    )
    assert isinstance(error, errors.DirectoryOperationError) and error.result_code == 19
    assert "constraintViolation (result 19)" in error.message


def test_error_tree() -> None:
    from runner_api.errors import ExecutorError, RefusedError

    assert issubclass(errors.ConnectionLostError, errors.DirectoryUnreachableError)
    assert issubclass(errors.DirectoryUnreachableError, ExecutorError)
    assert issubclass(errors.ProtectedTargetError, RefusedError)
