#!/usr/bin/python3
"""Debian's python3-consul (0.7.1) against the state endpoints.

Starts agent_http_api_test_server (argv[1]), reads its port, and drives KV, sessions and
status through the client library, so that shape mistakes (field names, 404 handling,
X-Consul-Index, base64 values, true/false bodies) show up as client errors.
"""
import subprocess
import sys

import consul


def main(server_binary):
    proc = subprocess.Popen([server_binary, "py-node"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("port="), line
        run(consul.Consul(port=int(line[len("port="):])))
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
    print("python-consul: all checks passed")


def run(c, server="127.0.0.1:8300"):
    # KV: put/get/flags/cas/keys/recurse/delete.
    index, data = c.kv.get("missing")
    assert data is None and int(index) >= 1, (index, data)
    assert c.kv.put("app/config", "v1", flags=7) is True
    index, data = c.kv.get("app/config")
    assert data["Value"] == b"v1", data
    assert data["Flags"] == 7 and data["Key"] == "app/config", data
    assert "Session" not in data
    modify = data["ModifyIndex"]
    assert c.kv.put("app/config", "v2", cas=modify + 1000) is False
    assert c.kv.put("app/config", "v2", cas=modify) is True
    assert c.kv.put("app/other", "x") is True
    assert c.kv.put("app/sub/deep", "y") is True
    assert c.kv.put("app/empty", None) is True
    _, empty = c.kv.get("app/empty")
    assert empty["Value"] is None, empty
    _, keys = c.kv.get("app/", keys=True)
    assert keys == ["app/config", "app/empty", "app/other", "app/sub/deep"], keys
    _, keys = c.kv.get("app/", keys=True, separator="/")
    assert keys == ["app/config", "app/empty", "app/other", "app/sub/"], keys
    _, entries = c.kv.get("app/", recurse=True)
    assert [e["Key"] for e in entries] == ["app/config", "app/empty", "app/other",
                                           "app/sub/deep"], entries
    assert entries[0]["Value"] == b"v2"
    for mode in ("stale", "consistent"):
        _, data = c.kv.get("app/config", consistency=mode)
        assert data["Value"] == b"v2"

    # Blocking: an index in the past returns at once; a current one waits out `wait`.
    index, _ = c.kv.get("app/config")
    index2, data = c.kv.get("app/config", index=index, wait="100ms")
    assert index2 == index and data["Value"] == b"v2", (index, index2)

    assert c.kv.delete("app/other") is True
    assert c.kv.get("app/other")[1] is None
    assert c.kv.delete("app/", recurse=True) is True
    assert c.kv.get("app/", recurse=True)[1] is None

    # Bad input surfaces as the client's exceptions.
    try:
        c.kv.put("x", "y", cas=1, acquire="abc")
        raise AssertionError("conflicting flags accepted")
    except consul.base.BadRequest as e:
        assert "Conflicting flags" in str(e), e

    # Sessions and locks.
    sid = c.session.create(name="py", lock_delay=0, ttl=30)
    assert len(sid) == 36, sid
    _, info = c.session.info(sid)
    assert info["ID"] == sid and info["Name"] == "py" and info["TTL"] == "30s", info
    assert info["Node"] == "py-node" and info["LockDelay"] == 0, info
    _, sessions = c.session.list()
    assert [s["ID"] for s in sessions] == [sid], sessions
    _, sessions = c.session.node("py-node")
    assert len(sessions) == 1
    renewed = c.session.renew(sid)
    assert renewed["ID"] == sid, renewed
    assert c.kv.put("lock", "me", acquire=sid) is True
    _, lock = c.kv.get("lock")
    assert lock["Session"] == sid and lock["LockIndex"] == 1, lock
    other = c.session.create(checks=[])
    assert c.kv.put("lock", "you", acquire=other) is False
    assert c.kv.put("lock", "me", release=sid) is True
    assert c.session.destroy(sid) is True
    _, gone = c.session.info(sid)
    assert gone is None
    try:
        c.session.renew(sid)
        raise AssertionError("renewed a destroyed session")
    except consul.base.NotFound:
        pass
    try:
        c.kv.put("lock", "x", acquire="no-such-session")
        raise AssertionError("acquired with an unknown session")
    except consul.base.ConsulException as e:
        assert 'invalid session "no-such-session"' in str(e), e

    # Status and operator.
    assert c.status.leader() == server
    assert c.status.peers() == [server]
    raft = c.operator.raft_config()
    assert raft["Servers"][0]["Address"] == server, raft
    assert raft["Servers"][0]["Leader"] is True and raft["Index"] == 1, raft


if __name__ == "__main__":
    main(sys.argv[1])
