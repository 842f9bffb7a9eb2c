"""The device flow's polling rules (RFC 8628) with a clock that only moves when the flow sleeps."""

from __future__ import annotations

import pytest

from code_mesh.application.login_device import run_device_flow
from code_mesh.application.ports import TokenEndpoint
from code_mesh.domain.errors import AuthorizationFailed, OAuthErrorResponse
from code_mesh.domain.oauth import DeviceAuthorization, DevicePoll, TokenGrant
from code_mesh.domain.secret import Secret
from fakes import FakeClock, RecordingView, ScriptedGateway

ENDPOINT = TokenEndpoint("https://idp.example/token", "cli")
TOKEN = TokenGrant(Secret("at"), Secret("rt"), 60.0)


def gateway_with(
    *polls: TokenGrant | DevicePoll | Exception, expires_in: float = 900, interval: float = 5
) -> ScriptedGateway:
    gateway = ScriptedGateway()
    gateway.device = DeviceAuthorization(
        Secret("dc"), "WDJB-MJHT", "https://idp.example/device", expires_in, interval
    )
    gateway.poll_answers = list(polls)
    return gateway


def test_polls_at_the_interval_and_slows_down_by_five_seconds() -> None:
    clock = FakeClock()
    view = RecordingView()
    gateway = gateway_with(DevicePoll.PENDING, DevicePoll.SLOW_DOWN, DevicePoll.PENDING, TOKEN)
    assert (
        run_device_flow(gateway, view, clock, "https://idp.example/device_authorization", ENDPOINT, "openid")
        == TOKEN
    )
    assert clock.sleeps == [5, 5, 10, 10]
    assert view.codes == [("WDJB-MJHT", "https://idp.example/device")]


def test_gives_up_when_the_code_expires_on_our_clock() -> None:
    clock = FakeClock()
    gateway = gateway_with(*([DevicePoll.PENDING] * 10), expires_in=12, interval=5)
    with pytest.raises(AuthorizationFailed, match="expired"):
        run_device_flow(gateway, RecordingView(), clock, "u", ENDPOINT, None)
    assert clock.sleeps == [5, 5, 2]  # the last wait is cut to what is left of the code's life


def test_an_interval_longer_than_the_code_lives_is_cut_to_its_expiry() -> None:
    """An interval of 10**9 s must not sleep first and check expires_in afterwards (issue 9, R1)."""
    clock = FakeClock()
    gateway = gateway_with(*([DevicePoll.PENDING] * 3), expires_in=30, interval=10**9)
    with pytest.raises(AuthorizationFailed, match="expired"):
        run_device_flow(gateway, RecordingView(), clock, "u", ENDPOINT, None)
    assert clock.sleeps == [30]
    assert gateway.poll_answers == [DevicePoll.PENDING] * 3, "no poll after the code expired"


@pytest.mark.parametrize(("error", "words"), [("expired_token", "expired"), ("access_denied", "denied")])
def test_server_refusals_end_the_flow(error: str, words: str) -> None:
    gateway = gateway_with(DevicePoll.PENDING, OAuthErrorResponse(error, "idp.example"))
    with pytest.raises(AuthorizationFailed, match=words):
        run_device_flow(gateway, RecordingView(), FakeClock(), "u", ENDPOINT, None)
