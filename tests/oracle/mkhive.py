#!/usr/bin/env python3
"""Build test hives with python3-hivex (an independent writer).

usage: mkhive.py KIND OUT
  kb      SYSTEM hive: Select (Current=2), ControlSet001 and ControlSet002,
          each with Services\\Tcpip and a stale Services\\MSExchangeKMS
  types   one key 'Types' holding a value of every type and edge case
  win-system    SYSTEM of the fake Windows tree (tests/oracle/test_offline.py):
                Select (Current=2), ControlSet001/002, services and drivers
                whose image paths take every form the resolver handles
  win-software  SOFTWARE: CurrentVersion\SystemRoot and a ProfileList
  win-ntuser    NTUSER.DAT of user alice: Software\Alice\Settings
"""
import os, struct, sys, tempfile, subprocess
import hivex

HERE = os.path.dirname(os.path.abspath(__file__))


def empty_hive(path):
    """A minimal hive: base block, one bin, root key and its sk cell."""
    base = bytearray(4096)
    now = 132000000000000000
    # root nk + sk in one 4 KiB bin, as shared/bench/mkempty.py lays it out
    def cell(payload):
        size = (4 + len(payload) + 7) & ~7
        return struct.pack('<i', -size) + payload + b'\0' * (size - 4 - len(payload))
    def sid(auth, *subs):
        return struct.pack('<BB', 1, len(subs)) + auth.to_bytes(6, 'big') + \
            b''.join(struct.pack('<I', s) for s in subs)
    owner, group, everyone = sid(5, 32, 544), sid(5, 18), sid(1, 0)
    ace = struct.pack('<BBHI', 0, 0x02, 8 + len(everyone), 0x000F003F) + everyone
    acl = struct.pack('<BBHHH', 2, 0, 8 + len(ace), 1, 0) + ace
    sd = struct.pack('<BBHIIII', 1, 0, 0x8004, 20, 20 + len(owner), 0,
                     20 + len(owner) + len(group)) + owner + group + acl
    name = b'ROOT'
    root_off = 0x20
    sk_off = root_off + ((4 + 0x4C + len(name) + 7) & ~7)
    nk = (b'nk' + struct.pack('<HQI', 0x2C, now, 0) + struct.pack('<I', 0xFFFFFFFF) +
          struct.pack('<IIII', 0, 0, 0xFFFFFFFF, 0xFFFFFFFF) +
          struct.pack('<II', 0, 0xFFFFFFFF) + struct.pack('<II', sk_off, 0xFFFFFFFF) +
          struct.pack('<IIIII', 0, 0, 0, 0, 0) + struct.pack('<HH', len(name), 0) + name)
    sk = b'sk' + struct.pack('<HIIII', 0, sk_off, sk_off, 1, len(sd)) + sd
    cells = cell(nk) + cell(sk)
    free = 4096 - 32 - len(cells)
    hbin = b'hbin' + struct.pack('<IIIIQI', 0, 4096, 0, 0, 0, 0)
    bins = hbin + cells + struct.pack('<i', free) + b'\0' * (free - 4)
    struct.pack_into('<4sIIQIIIIIII', base, 0, b'regf', 1, 1, now, 1, 5, 0, 1,
                     root_off, len(bins), 1)
    csum = 0
    for i in range(0, 508, 4):
        csum ^= struct.unpack_from('<I', base, i)[0]
    csum = {0: 1, 0xFFFFFFFF: 0xFFFFFFFE}.get(csum, csum)
    struct.pack_into('<I', base, 508, csum)
    with open(path, 'wb') as f:
        f.write(bytes(base) + bins)


def sz(s):
    return s.encode('utf-16-le') + b'\0\0'


def val(name, t, data):
    return {'key': name, 't': t, 'value': data}


def build(path, tree):
    """tree: {name: (values, subtree)}"""
    empty_hive(path)
    h = hivex.Hivex(path, write=True)
    def add(parent, sub):
        for name, (values, children) in sub.items():
            node = h.node_add_child(parent, name)
            if values:
                h.node_set_values(node, values)
            add(node, children)
    add(h.root(), tree)
    h.commit(path)


def kb_tree():
    def services():
        return {
            'Tcpip': ([val('Start', 4, struct.pack('<I', 0)),
                       val('Type', 4, struct.pack('<I', 1)),
                       val('ImagePath', 2, sz('System32\\drivers\\tcpip.sys'))], {}),
            'MSExchangeKMS': ([val('DisplayName', 1, sz('Microsoft Exchange Key Management')),
                               val('ImagePath', 2, sz('C:\\exchsrvr\\bin\\kmserver.exe')),
                               val('Start', 4, struct.pack('<I', 2)),
                               val('Type', 4, struct.pack('<I', 16))], {}),
        }
    return {
        'Select': ([val('Current', 4, struct.pack('<I', 2)),
                    val('Default', 4, struct.pack('<I', 2)),
                    val('Failed', 4, struct.pack('<I', 0)),
                    val('LastKnownGood', 4, struct.pack('<I', 1))], {}),
        'ControlSet001': ([], {'Services': ([], services())}),
        'ControlSet002': ([], {'Services': ([], services())}),
    }


def types_tree():
    vals = [
        val('', 1, sz('default value')),
        val('sz', 1, sz('hello "world" \\ back')),
        val('sz_empty', 1, sz('')),
        val('sz_nonul', 1, 'abc'.encode('utf-16-le')),
        val('sz_unicode', 1, sz('Ключ ëigen \U00010400')),
        val('expand', 2, sz('%SystemRoot%\\system32')),
        val('binary', 3, bytes(range(256))),
        val('binary_empty', 3, b''),
        val('dword', 4, struct.pack('<I', 0xdeadbeef)),
        val('dword_short', 4, b'\x01\x02'),
        val('dword_be', 5, struct.pack('>I', 1)),
        val('link', 6, '\\Registry\\Machine\\x'.encode('utf-16-le')),
        val('multi', 7, sz('a') + sz('bb') + sz('ccc') + b'\0\0'),
        val('multi_empty', 7, b'\0\0'),
        val('reslist', 8, bytes(40)),
        val('fullres', 9, bytes(20)),
        val('resreq', 10, bytes(30)),
        val('qword', 11, struct.pack('<Q', 0x0123456789abcdef)),
        val('none', 0, b'\x00\x01'),
        val('type_0x1234', 0x1234, b'\xff'),
        val('inline3', 3, b'abc'),
        val('name with "quotes" and \\', 1, sz('x')),
        val('big', 3, bytes((i * 7) & 255 for i in range(5000))),
        # REG_SZ that a quoted string cannot carry byte-exactly -> hex(1):
        val('sz_zero', 1, b''),
        val('sz_nul_inside', 1, sz('abc\0def')),
        val('sz_two_nuls', 1, sz('abc') + b'\0\0'),
        val('sz_odd', 1, sz('ab') + b'\x41'),
        val('sz_crlf', 1, sz('one\r\ntwo')),
        val('sz_lf', 1, sz('a\nb')),
        val('dword_long', 4, struct.pack('<Q', 5)),
        val('multi_inner_empty', 7, sz('a') + sz('') + sz('b') + b'\0\0'),
        val('multi_noterm', 7, 'x'.encode('utf-16-le') + b'\0\0' + 'yz'.encode('utf-16-le')),
        # hex wrapping: prefix length in UTF-16 units decides the first break
        val('n' * 66, 3, bytes(range(30))),
        val('n' * 67, 3, bytes(range(30))),
        val('L' * 100, 3, b'\x01\x02\x03'),
        val('\u0416' * 66, 3, bytes(range(30))),
        val('\U00010400' * 33, 3, bytes(range(30))),
        # strings past the 4-unit fast path of the UTF-16 writer
        val('sz_ctl', 1, sz('tab\there, then "quoted" \\ path')),
        val('sz_cr_late', 1, sz('0123456789abcdef\rX')),
        val('name \xe9 \\ "', 1, sz('y')),
    ]
    cyr = [val('\u0417\u043d\u0430\u0447\u0435\u043d\u0438\u0435', 1,
               sz('\u0434\u0430\u043d\u043d\u044b\u0435')),
           val('', 4, struct.pack('<I', 7))]
    return {'Types': (vals, {'Sub': ([], {}),
                             '\u041a\u043b\u044e\u0447': (cyr, {})})}


def dword(n):
    return struct.pack('<I', n)


def msz(*items):
    return b''.join(sz(i) for i in items) + b'\0\0'


def svc(type_, start, image=None, **extra):
    """A service key: values from the arguments, subkeys from 'sub'."""
    vals = [val('Type', 4, dword(type_)), val('Start', 4, dword(start))]
    if image is not None:
        vals.append(val('ImagePath', 2, sz(image)))
    sub = extra.pop('sub', {})
    for name, (t, data) in extra.items():
        vals.append(val(name, t, data))
    return (vals, sub)


def win_services(cs):
    """Services of ControlSet00<cs>; set 2 is the current one."""
    params = lambda dll: {'Parameters': ([val('ServiceDll', 2, sz(dll))], {})}
    svch = '%SystemRoot%\\system32\\svchost.exe -k netsvcs'
    s = {
        'Tcpip': svc(1, 0, 'System32\\drivers\\tcpip.sys',
                     Group=(1, sz('PNP_TDI'))),
        'MyDrv': svc(1, 3, '\\SystemRoot\\System32\\drivers\\mydrv.sys'),
        'NoPathDrv': svc(1, 3),
        'QDrv': svc(2, 1, '\\??\\C:\\Windows\\system32\\drivers\\qdrv.sys'),
        'GoneDrv': svc(1, 3, '\\SystemRoot\\System32\\drivers\\gonedrv.sys'),
        'MSExchangeKMS': svc(0x10, 2 if cs == 2 else 4,
                             'C:\\exchsrvr\\bin\\kmserver.exe',
                             DisplayName=(1, sz('Microsoft Exchange Key Management')),
                             ObjectName=(1, sz('LocalSystem')),
                             ControlSet=(4, dword(cs))),
        'Schedule': svc(0x20, 2, svch, sub=params('%SystemRoot%\\System32\\schedsvc.dll'),
                        DisplayName=(1, sz('Task Scheduler')),
                        ObjectName=(1, sz('LocalSystem'))),
        'OldSvc': svc(0x20, 3, svch, sub=params('%SystemRoot%\\System32\\oldsvc.dll')),
        'DirectDll': svc(0x20, 3, svch,
                         ServiceDll=(2, sz('%windir%\\system32\\directdll.dll'))),
        'QuotedApp': svc(0x10, 2, '"C:\\Program Files\\Vendor App\\app.exe" -service'),
        'UnquotedApp': svc(0x10, 3, 'C:\\Program Files\\Vendor App\\tool.exe -run now'),
        'UnquotedNoExt': svc(0x10, 3, 'C:\\Program Files\\Vendor App\\tool -x'),
        'DepSvc': svc(0x10, 3, '%SystemRoot%\\System32\\depsvc.exe',
                      DependOnService=(7, msz('Tcpip', 'NoSuchSvc')),
                      DependOnGroup=(7, msz('NoSuchGroup'))),
        'DepOk': svc(0x110, 2, '%SystemRoot%\\System32\\depsvc.exe',
                     DependOnService=(7, msz('tcpip', '+pnp_tdi')),
                     DependOnGroup=(7, msz('pnp_tdi')),
                     DelayedAutostart=(4, dword(1)),
                     ObjectName=(1, sz('NT AUTHORITY\\LocalService'))),
        'OtherDrive': svc(0x10, 3, 'D:\\apps\\other.exe'),
        'Dots': svc(0x10, 3, 'C:\\Windows\\..\\windows\\System32\\svchost.exe'),
        'Escape': svc(0x10, 3, 'C:\\..\\..\\..\\etc\\passwd'),
        'EmptyKey': ([], {}),
    }
    if cs == 1:  # the old set: OldSvc not installed yet
        del s['OldSvc']
    return s


def win_system_tree():
    return {
        'Select': ([val('Current', 4, dword(2)), val('Default', 4, dword(2)),
                    val('Failed', 4, dword(0)),
                    val('LastKnownGood', 4, dword(1))], {}),
        'ControlSet001': ([], {'Services': ([], win_services(1))}),
        'ControlSet002': ([], {'Services': ([], win_services(2))}),
    }


def win_software_tree():
    prof = lambda path: ([val('ProfileImagePath', 2, sz(path))], {})
    return {'Microsoft': ([], {'Windows NT': ([], {'CurrentVersion': (
        [val('SystemRoot', 1, sz('C:\\Windows')),
         val('ProductName', 1, sz('Fake Windows'))],
        {'ProfileList': ([], {
            'S-1-5-18': prof('%systemroot%\\system32\\config\\systemprofile'),
            'S-1-5-21-1-2-3-1001': prof('C:\\Users\\alice'),
            'S-1-5-21-1-2-3-1002': prof('%SystemDrive%\\Users\\Bob'),
        })})})})}


def win_ntuser_tree():
    return {'Software': ([], {'Alice': ([], {'Settings': (
        [val('Color', 1, sz('blue'))], {})})})}


if __name__ == '__main__':
    kind, out = sys.argv[1], sys.argv[2]
    build(out, {'kb': kb_tree, 'types': types_tree,
                'win-system': win_system_tree,
                'win-software': win_software_tree,
                'win-ntuser': win_ntuser_tree}[kind]())
