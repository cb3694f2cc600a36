"""Kernel-level confinement for a sandbox child on Linux, through ``ctypes`` (standard library only).

Each layer is optional and reports whether it is in force, so the sandbox degrades to the layers a machine offers
(all of them work as a non-root user; the network namespace needs root or unprivileged user namespaces):

- ``Landlock`` (Linux >= 5.13; man 7 landlock): read-only access to the Python library and shared-library folders,
  full access to the private work folder, nothing else; with ABI >= 4 no TCP bind/connect, with ABI >= 6 no
  signals to processes outside the sandbox and no abstract UNIX sockets.
- ``seccomp`` BPF filter (man 2 seccomp): socket, fork/clone/exec, kill, ptrace, io_uring, bpf, mount, namespaces
  and similar system calls fail with ``EPERM``.
- capabilities dropped to none (only matters when the evaluator runs as root), ``no_new_privs`` set.
- a fresh, empty network namespace for the worker (``unshare(CLONE_NEWNET)``) where permitted.

Numbers below are the kernel's ABI constants (include/uapi/linux/{landlock,seccomp,filter,capability}.h).
"""

from __future__ import annotations

import ctypes
import os
import platform
import struct
import sys

LINUX = sys.platform.startswith("linux")
_libc = ctypes.CDLL(None, use_errno=True)
if LINUX:
    _libc.syscall.restype = ctypes.c_long
    _libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]

PR_SET_PDEATHSIG, PR_SET_SECCOMP, PR_SET_NO_NEW_PRIVS = 1, 22, 38
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO = 0x7FFF0000, 0x00050000
EPERM = 1

# Landlock syscalls have the same numbers on every architecture (added after the syscall table unification).
SYS_LANDLOCK_CREATE_RULESET, SYS_LANDLOCK_ADD_RULE, SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446

# (AUDIT_ARCH value, {syscall name: number}) per machine
_X86_64 = dict(
    socket=41, socketpair=53, connect=42, accept=43, bind=49, listen=50, accept4=288,
    clone=56, fork=57, vfork=58, execve=59, execveat=322, clone3=435,
    kill=62, tkill=200, tgkill=234, rt_sigqueueinfo=129, rt_tgsigqueueinfo=297, pidfd_send_signal=424,
    ptrace=101, process_vm_readv=310, process_vm_writev=311,
    mount=165, umount2=166, pivot_root=155, chroot=161, unshare=272, setns=308,
    io_uring_setup=425, io_uring_enter=426, io_uring_register=427, bpf=321, perf_event_open=298,
    userfaultfd=323, keyctl=250, add_key=248, request_key=249, setuid=105, setgid=106, setreuid=113,
    setregid=114, setresuid=117, setresgid=119, personality=135, reboot=169, kexec_load=246,
)
_AARCH64 = dict(
    socket=198, socketpair=199, connect=203, accept=202, bind=200, listen=201, accept4=242,
    clone=220, execve=221, execveat=281, clone3=435,
    kill=129, tkill=130, tgkill=131, rt_sigqueueinfo=138, rt_tgsigqueueinfo=240, pidfd_send_signal=424,
    ptrace=117, process_vm_readv=270, process_vm_writev=271,
    mount=40, umount2=39, pivot_root=41, chroot=51, unshare=97, setns=268,
    io_uring_setup=425, io_uring_enter=426, io_uring_register=427, bpf=280, perf_event_open=241,
    userfaultfd=282, keyctl=219, add_key=217, request_key=218, setuid=146, setgid=144, setreuid=145,
    setregid=143, setresuid=147, setresgid=149, personality=92, reboot=142, kexec_load=104,
)
_ARCHES = {"x86_64": (0xC000003E, _X86_64), "aarch64": (0xC00000B7, _AARCH64)}

# Landlock access rights (bit numbers from include/uapi/linux/landlock.h) and the ABI that introduced them
_FS_EXECUTE, _FS_WRITE_FILE, _FS_READ_FILE, _FS_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_FS_ABI1 = (1 << 13) - 1
_FS_REFER, _FS_TRUNCATE, _FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
_NET_BIND_TCP, _NET_CONNECT_TCP = 1, 2
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1, 2
_FILE_RIGHTS = _FS_EXECUTE | _FS_WRITE_FILE | _FS_READ_FILE | _FS_TRUNCATE | _FS_IOCTL_DEV


def set_parent_death_signal(signal_number: int) -> bool:
    """Have the kernel send ``signal_number`` to this process when its parent dies."""
    if not LINUX:
        return False
    return _libc.prctl(PR_SET_PDEATHSIG, signal_number, 0, 0, 0) == 0


def unshare_network() -> bool:
    """Move this process into a new, empty network namespace (as root, or through a user namespace that maps
    the user's own uid and gid onto themselves)."""
    if not LINUX:
        return False
    clone_newnet, clone_newuser = 0x40000000, 0x10000000
    if _libc.unshare(clone_newnet) == 0:
        return True
    uid, gid = os.getuid(), os.getgid()
    if _libc.unshare(clone_newuser | clone_newnet) != 0:
        return False
    for name, text in (("uid_map", f"{uid} {uid} 1"), ("setgroups", "deny"), ("gid_map", f"{gid} {gid} 1")):
        try:
            with open(f"/proc/self/{name}", "w") as handle:
                handle.write(text)
        except OSError:
            pass
    return True


def landlock_abi() -> int:
    """The Landlock ABI version the kernel offers (0 when Landlock is absent or disabled)."""
    if not LINUX:
        return 0
    version = _libc.syscall(SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    return max(int(version), 0)


def landlock_ruleset(read_paths: list[str], write_paths: list[str]) -> tuple[int, int]:
    """Create a Landlock ruleset allowing reads below ``read_paths`` and everything below ``write_paths``.

    Returns ``(ruleset_fd, abi)``, or ``(-1, abi)`` when Landlock is unavailable. Enforce it with
    :func:`landlock_restrict`; the ruleset fd may be created once and enforced in many forked children.
    """
    abi = landlock_abi()
    if abi < 1:
        return -1, abi
    handled_fs = _FS_ABI1 | (_FS_REFER if abi >= 2 else 0) | (_FS_TRUNCATE if abi >= 3 else 0)
    handled_fs |= _FS_IOCTL_DEV if abi >= 5 else 0
    handled_net = (_NET_BIND_TCP | _NET_CONNECT_TCP) if abi >= 4 else 0
    scoped = (_SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL) if abi >= 6 else 0
    attr = struct.pack("=QQQ", handled_fs, handled_net, scoped)
    size = 8 if abi < 4 else (16 if abi < 6 else 24)
    buffer = ctypes.create_string_buffer(attr[:size], size)
    fd = int(_libc.syscall(SYS_LANDLOCK_CREATE_RULESET, buffer, ctypes.c_size_t(size), ctypes.c_uint32(0)))
    if fd < 0:
        return -1, abi
    rules = [(path, _FS_READ_FILE | _FS_READ_DIR) for path in read_paths]
    rules += [(path, handled_fs) for path in write_paths]
    for path, access in rules:
        try:
            path_fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            if not os.path.isdir(path):
                access &= _FILE_RIGHTS
            rule = ctypes.create_string_buffer(struct.pack("=Qi", access & handled_fs, path_fd), 12)
            if _libc.syscall(SYS_LANDLOCK_ADD_RULE, ctypes.c_int(fd), ctypes.c_int(1), rule, ctypes.c_uint32(0)) != 0:
                raise OSError(ctypes.get_errno(), f"landlock_add_rule({path!r}) failed")
        finally:
            os.close(path_fd)
    return fd, abi


def no_new_privs() -> bool:
    if not LINUX:
        return False
    return _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0


def landlock_restrict(ruleset_fd: int) -> bool:
    """Enforce a ruleset on this process (needs ``no_new_privs``); irreversible."""
    if ruleset_fd < 0:
        return False
    return _libc.syscall(SYS_LANDLOCK_RESTRICT_SELF, ruleset_fd, 0) == 0


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


class SeccompProgram:
    """A BPF program ready to install (built once in the worker, installed in every forked child)."""

    def __init__(self, instructions: list[tuple[int, int, int, int]]) -> None:
        raw = b"".join(struct.pack("=HBBI", *ins) for ins in instructions)
        self.buffer = ctypes.create_string_buffer(raw, len(raw))
        self.fprog = _SockFprog(len(instructions), ctypes.addressof(self.buffer))
        self.address = ctypes.addressof(self.fprog)


def seccomp_program() -> SeccompProgram | None:
    """The BPF program denying the dangerous system calls on this machine, or None for an unknown machine."""
    arch = _ARCHES.get(platform.machine()) if LINUX else None
    if arch is None:
        return None
    audit_arch, table = arch
    numbers = sorted(set(table.values()))
    ld_abs, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06  # BPF_LD|BPF_W|BPF_ABS, BPF_JMP|BPF_JEQ|BPF_K, ..|BPF_JGE, BPF_RET|BPF_K
    deny = SECCOMP_RET_ERRNO | EPERM
    n = len(numbers)
    program = [
        (ld_abs, 0, 0, 4),  # seccomp_data.arch
        (jeq, 1, 0, audit_arch),
        (ret, 0, 0, deny),  # another ABI (e.g. 32-bit calls on x86_64): deny all
        (ld_abs, 0, 0, 0),  # seccomp_data.nr
        (jge, n + 1, 0, 0x40000000),  # x32 ABI syscall numbers
    ]
    for index, number in enumerate(numbers):  # on a match jump to the deny at the end
        program.append((jeq, n - index, 0, number))
    program += [(ret, 0, 0, SECCOMP_RET_ALLOW), (ret, 0, 0, deny)]
    return SeccompProgram(program)


def seccomp_apply(program: SeccompProgram | None) -> bool:
    """Install a program from :func:`seccomp_program` on this process (needs ``no_new_privs``); irreversible."""
    if program is None:
        return False
    return _libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, program.address, 0, 0) == 0


# _LINUX_CAPABILITY_VERSION_3 for this process; two __user_cap_data_struct, all zero
_CAP_HEADER = ctypes.create_string_buffer(struct.pack("=Ii", 0x20080522, 0), 8)
_CAP_DATA = ctypes.create_string_buffer(bytes(24), 24)


def drop_capabilities() -> bool:
    """Empty the effective, permitted and inheritable capability sets (a root process keeps uid 0, loses power)."""
    if not LINUX:
        return False
    return _libc.capset(_CAP_HEADER, _CAP_DATA) == 0
