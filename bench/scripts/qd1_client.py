# The cell benchmarks' single-path client (failover.sh, cluster-failover.sh): qemu-io over libiscsi, fed one
# "write -P PATTERN OFFSET SLOT" at a time on its stdin (queue depth 1), walking the LUN's slots with a pattern that
# changes at every pass; each acknowledgement ("wrote ...") is time-stamped in LOG and applied to the model image.
# LOG lines: ACK t i slot pattern sent | FAIL t i slot pattern sent why | RESTART t i | END t i rc=..
# Stops after its current write once STOP exists. CONNECT_TRACE=FILE: strace the initiator's connect() calls.
# Usage: python3 qd1_client.py URL LUN_BYTES SLOT_BYTES LOG MODEL STOP
import os, subprocess, sys, time
url, lun_bytes, slot_len, log_path, model_path, stop_path = sys.argv[1:7]
lun_bytes = int(lun_bytes); slot_len = int(slot_len); nslots = lun_bytes // slot_len
trace = os.environ.get("CONNECT_TRACE", "")   # strace the initiator's connect() calls into this file
prefix = ["strace", "-f", "--seccomp-bpf", "-ttt", "-e", "trace=connect", "-o", trace] if trace else []
def qemu_io():
    return subprocess.Popen(prefix + ["stdbuf", "-oL", "qemu-io", "-f", "raw", url], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
p = qemu_io()
model = os.open(model_path, os.O_RDWR | os.O_CREAT, 0o600)
os.ftruncate(model, lun_bytes)
log = open(log_path, "w", buffering=1)
i = 0
restarts = 0
while not os.path.exists(stop_path):
    slot = i % nslots
    pat = (slot * 31 + (i // nslots) * 7) % 255 + 1      # differs from the slot's previous pattern
    off = slot * slot_len
    sent = time.time()
    try:
        p.stdin.write(f"write -P {pat} {off} {slot_len}\n"); p.stdin.flush()
    except BrokenPipeError:
        pass
    while True:
        line = p.stdout.readline()
        if not line:
            # qemu-io ended (e.g. its login failed): the write's slot is uncertain; start a new qemu-io
            p.wait()
            log.write(f"FAIL {time.time():.6f} {i} {slot} {pat} {sent:.6f} qemu-io exited rc={p.returncode}\n")
            log.write(f"RESTART {time.time():.6f} {i}\n")
            restarts += 1
            if restarts > 20:
                log.write(f"EOF {time.time():.6f} {i} too many qemu-io restarts\n"); sys.exit(1)
            time.sleep(0.5)
            p = qemu_io()
            break
        if "wrote " in line:
            t = time.time()
            os.pwrite(model, bytes([pat]) * slot_len, off)
            log.write(f"ACK {t:.6f} {i} {slot} {pat} {sent:.6f}\n")
            break
        if "failed" in line or "rror" in line:
            log.write(f"FAIL {time.time():.6f} {i} {slot} {pat} {sent:.6f} {line.strip()}\n")
            break
    i += 1
p.stdin.write("quit\n"); p.stdin.flush(); p.stdin.close()
p.wait(timeout=60)
os.fsync(model)
log.write(f"END {time.time():.6f} {i} rc={p.returncode}\n")
