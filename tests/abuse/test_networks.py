"""The keyed hashes of client addresses and ranges (abuse.networks)."""

from ipaddress import ip_address

from django.test import override_settings

from abuse import networks


def test_a_range_has_one_key_for_every_address_in_it_and_another_for_the_next_range():
    assert networks.range_key(ip_address("203.0.113.7")) == networks.range_key(ip_address("203.0.113.250"))
    assert networks.range_key(ip_address("203.0.113.7")) != networks.range_key(ip_address("203.0.114.7"))
    assert networks.range_key(ip_address("2001:db8::1")) == networks.range_key(ip_address("2001:db8::ffff:1"))
    assert networks.range_key(None) == "" and networks.address_key(None) == "unknown"


def test_the_keys_follow_the_secret_key_though_the_process_keeps_what_it_derives_from_it():
    address = ip_address("203.0.113.7")
    before = networks.range_key(address), networks.address_key(address)
    with override_settings(SECRET_KEY="another-secret-" * 4):
        other = networks.range_key(address), networks.address_key(address)
    assert other[0] != before[0] and other[1] != before[1]
    assert (networks.range_key(address), networks.address_key(address)) == before
