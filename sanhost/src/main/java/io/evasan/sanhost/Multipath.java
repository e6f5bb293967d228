package io.evasan.sanhost;

import io.evasan.fabric.fcp.FcpInitiator.Result;
import io.evasan.fabric.frame.Els;
import io.evasan.fabric.frame.FrameFormatException;
import io.evasan.fabric.frame.NameServerDescriptor;
import io.evasan.fabric.nport.NPort;
import io.evasan.fabric.nport.NPortException;
import io.evasan.fabric.switching.Wwn;
import io.evasan.sanhost.nbd.BlockDevice;
import io.evasan.sanhost.nbd.BlockIoException;
import io.evasan.sanhost.nbd.NbdDescriptor;
import io.evasan.sanhost.nbd.NbdServer;
import io.evasan.scsi.ScsiStatus;
import io.evasan.scsi.alua.AccessState;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The host's multipath layer over its HBAs: fabric login, discovery (GID_FT, GPN_ID, PLOGI/PRLI,
 * REPORT LUNS, INQUIRY VPD 83h, READ CAPACITY(16), REPORT TARGET PORT GROUPS), paths grouped by
 * the LU's designator, and the command loop that fails over.
 *
 * <p>Each HBA has a monitor thread that owns its discovery: it re-discovers on every RSCN, every
 * second while one of its paths is down (failback: a port that returns is probed and its paths
 * come up in their ALUA state, so optimized paths take the I/O again), and after its own link
 * comes back (reconnect, fabric login). A port missing from GID_FT has its paths marked down and
 * its commands in flight failed at once, so they are retried elsewhere without waiting for a
 * timeout.
 *
 * <p>Invariants: a command is retried on another path (or the same one after a unit attention)
 * until it completes with a status other than a retryable one or {@code failoverWindow} has
 * passed with no path able to run it; a command that timed out is aborted (ABTS, by {@code
 * FcpInitiator}) before it is sent again; UNIT ATTENTION 06/2A/06 and the ALUA "not accessible"
 * senses make the host re-read RTPG for the LU.
 */
final class Multipath implements NbdServer.Exports, AutoCloseable {
    private final List<Hba> hbas;
    private final Duration failoverWindow;
    private final Map<String, MultipathLu> lus = new LinkedHashMap<>();
    private final Map<Hba, Map<Integer, Long>> loggedIn = new ConcurrentHashMap<>();
    private final List<Thread> monitors = new ArrayList<>();
    private volatile boolean running = true;
    private final StringBuilder events = new StringBuilder();

    Multipath(List<Hba> hbas, Duration failoverWindow) {
        this.hbas = List.copyOf(hbas);
        this.failoverWindow = failoverWindow;
        for (Hba h : hbas) {
            loggedIn.put(h, new ConcurrentHashMap<>());
        }
    }

    /** Logs every HBA in and runs a first discovery; then starts the monitors. */
    void start() {
        for (Hba h : hbas) {
            try {
                h.login();
                discover(h);
            } catch (NPortException e) {
                event(h.name() + ": fabric login failed: " + e.getMessage());
            }
            Thread t = new Thread(() -> monitor(h), "sanhost-" + h.name());
            t.setDaemon(true);
            monitors.add(t);
            t.start();
        }
    }

    // ------------------------------------------------------------------ discovery

    private void monitor(Hba h) {
        long lastProbe = System.nanoTime();
        boolean needLogin = h.port.portId() == 0;
        while (running) {
            try {
                String ev;
                while ((ev = h.port.linkEvents().poll()) != null) {
                    if (ev.equals("down")) {
                        markAll(h, "link down");
                        needLogin = true;
                    }
                }
                if (needLogin || !h.end.isUp()) {
                    if (!h.end.isUp()) {
                        try {
                            h.reconnect();
                        } catch (IOException e) {
                            Thread.sleep(500);
                            continue;
                        }
                    }
                    h.login();
                    needLogin = false;
                    event(h.name() + ": logged in again as " + "%06x".formatted(h.port.portId()));
                    discover(h);
                    continue;
                }
                Els.Rscn r = h.port.rscns().poll(200, TimeUnit.MILLISECONDS);
                if (r != null) {
                    h.port.rscns().clear();
                    discover(h);
                    lastProbe = System.nanoTime();
                } else if (System.nanoTime() - lastProbe > TimeUnit.SECONDS.toNanos(1) && anyDown(h)) {
                    discover(h);
                    lastProbe = System.nanoTime();
                }
            } catch (InterruptedException e) {
                return;
            } catch (NPortException | RuntimeException e) {
                event(h.name() + ": " + e.getMessage());
                try {
                    Thread.sleep(200);
                } catch (InterruptedException x) {
                    return;
                }
            }
        }
    }

    private boolean anyDown(Hba h) {
        for (MultipathLu lu : luList()) {
            for (Path p : lu.paths) {
                if (p.hba == h && !p.up) {
                    return true;
                }
            }
        }
        return false;
    }

    private void markAll(Hba h, String why) {
        loggedIn.get(h).clear();
        for (MultipathLu lu : luList()) {
            for (Path p : lu.paths) {
                if (p.hba == h && p.up) {
                    p.fail(why);
                }
            }
        }
    }

    /** GID_FT, then: paths to ports gone are marked down (their commands failed), new or down ports probed. */
    void discover(Hba h) throws NPortException {
        List<Integer> ids = h.port.gidFtFcp();
        Map<Integer, Long> known = loggedIn.get(h);
        for (Integer gone : new ArrayList<>(known.keySet())) {
            if (!ids.contains(gone)) {
                known.remove(gone);
                h.initiator.processLogout(gone);
                event(h.name() + ": port %06x gone".formatted(gone));
            }
        }
        for (MultipathLu lu : luList()) {
            for (Path p : lu.paths) {
                if (p.hba == h && p.up && !ids.contains(p.targetId)) {
                    p.fail("port %06x gone from the name server".formatted(p.targetId));
                }
            }
        }
        for (int id : ids) {
            if (id == h.port.portId()) {
                continue;
            }
            if (known.containsKey(id) && !hasDownPath(h, id)) {
                continue;
            }
            try {
                probe(h, id);
            } catch (NPortException e) {
                known.remove(id);
                event(h.name() + ": probe of %06x failed: %s".formatted(id, e.getMessage()));
            }
        }
    }

    private boolean hasDownPath(Hba h, int id) {
        for (MultipathLu lu : luList()) {
            for (Path p : lu.paths) {
                if (p.hba == h && p.targetId == id && !p.up) {
                    return true;
                }
            }
        }
        return false;
    }

    private void probe(Hba h, int id) throws NPortException {
        NPort port = h.port;
        long wwpn;
        NPort.CtAnswer a = port.nameServer(new NameServerDescriptor.GpnId(id));
        try {
            wwpn = a.header().isAccept() ? NameServerDescriptor.decodeNameAccept(a.body()) : 0;
        } catch (FrameFormatException e) {
            wwpn = 0;
        }
        Els.Prli acc = port.login(id);
        if (acc.pages().isEmpty() || !acc.pages().get(0).targetFunction()) {
            loggedIn.get(h).put(id, wwpn);
            return;
        }
        Result rl = direct(h, id, 0, Scsi.reportLuns(Scsi.REPORT_LUNS_ALLOC), Scsi.REPORT_LUNS_ALLOC);
        if (rl.status() != ScsiStatus.GOOD) {
            throw new NPortException("REPORT LUNS status 0x%02x".formatted(rl.status()));
        }
        for (int lun : Scsi.parseReportLuns(rl.data())) {
            Result vpd = direct(h, id, lun, Scsi.inquiryVpd(0x83, Scsi.VPD_ALLOC), Scsi.VPD_ALLOC);
            if (vpd.status() != ScsiStatus.GOOD) {
                continue;
            }
            Scsi.DeviceId dev = Scsi.parseDeviceId(vpd.data());
            if (dev.lu() == null) {
                continue;
            }
            Result cap = direct(h, id, lun, Scsi.readCapacity16(), 32);
            Scsi.Capacity c = cap.status() == ScsiStatus.GOOD && cap.data().length >= 12 ? Scsi.parseCapacity16(cap.data())
                    : null;
            Result tpg = direct(h, id, lun, Scsi.reportTargetPortGroups(Scsi.RTPG_ALLOC), Scsi.RTPG_ALLOC);
            List<Scsi.GroupState> groups = tpg.status() == ScsiStatus.GOOD ? Scsi.parseRtpg(tpg.data()) : List.of();
            MultipathLu lu;
            synchronized (lus) {
                lu = lus.get(dev.lu());
                if (lu == null) {
                    if (c == null) {
                        continue; // capacity unknown (e.g. a standby port): learn the LU through another port
                    }
                    lu = new MultipathLu(this, dev.lu(), exportName(lun), c.blocks(), c.blockLength());
                    lus.put(dev.lu(), lu);
                    event("new LU " + lu.exportName + " " + dev.lu());
                } else if (c != null) {
                    lu.blocks = c.blocks();
                }
            }
            Path path = null;
            for (Path p : lu.paths) {
                if (p.same(h, wwpn, lun)) {
                    path = p;
                }
            }
            boolean added = path == null;
            if (added) {
                path = new Path(h, wwpn, lun);
            }
            path.targetId = id;
            path.relativeTargetPort = dev.relativeTargetPort();
            path.group = dev.targetPortGroup();
            apply(path, groups);
            path.up = true;
            path.lastError = "";
            if (added) {
                lu.paths.add(path);
            }
            apply(lu, groups);
            event("%s: path %s -> %06x lun %d up (tpg %d %s)".formatted(h.name(), lu.exportName, id, lun, path.group,
                    stateName(path.state)));
        }
        loggedIn.get(h).put(id, wwpn);
    }

    private String exportName(int lun) {
        String base = "lun" + lun;
        String name = base;
        for (int k = 2; find(name) != null; k++) {
            name = base + "-" + k;
        }
        return name;
    }

    /** A command on one path, repeated while a unit attention is reported (at most 8 times). */
    private static Result direct(Hba h, int id, int lun, byte[] cdb, int inLength) throws NPortException {
        Result r = null;
        for (int i = 0; i < 8; i++) {
            r = h.initiator.command(id, lun, cdb, new byte[0], inLength);
            if (r.status() != ScsiStatus.CHECK_CONDITION || Scsi.sense(r.sense())[0] != 6) {
                return r;
            }
        }
        return r;
    }

    private static void apply(Path p, List<Scsi.GroupState> groups) {
        for (Scsi.GroupState g : groups) {
            if (g.id() == p.group || p.group < 0 && g.ports().contains(p.relativeTargetPort)) {
                p.group = g.id();
                p.state = g.state();
                p.preferred = g.preferred();
            }
        }
    }

    private void apply(MultipathLu lu, List<Scsi.GroupState> groups) {
        Set<String> changes = new java.util.TreeSet<>();
        for (Path p : lu.paths) {
            AccessState before = p.state;
            apply(p, groups);
            if (before != p.state) {
                changes.add("%s: tpg %d %s -> %s".formatted(lu.exportName, p.group, stateName(before), stateName(p.state)));
            }
        }
        changes.forEach(this::event);
    }

    /** Re-reads RTPG through {@code via} and applies the states to every path of the LU. */
    private void refreshAlua(MultipathLu lu, Path via) {
        try {
            Result r = direct(via.hba, via.targetId, via.lun, Scsi.reportTargetPortGroups(Scsi.RTPG_ALLOC), Scsi.RTPG_ALLOC);
            if (r.status() == ScsiStatus.GOOD) {
                apply(lu, Scsi.parseRtpg(r.data()));
            }
        } catch (NPortException e) {
            via.fail(e.getMessage());
        }
    }

    // ------------------------------------------------------------------ I/O

    /**
     * Runs {@code cdb} on the LU, failing over as the class comment says.
     *
     * @throws BlockIoException EIO when the command failed for good (its status) or no path could run it in time
     */
    Result run(MultipathLu lu, byte[] cdb, byte[] out, int inLength) throws BlockIoException {
        long deadline = System.nanoTime() + failoverWindow.toNanos();
        String last = "no path";
        int attentions = 0;
        while (running) {
            Path p = lu.choose();
            if (p == null) {
                if (System.nanoTime() > deadline) {
                    throw new BlockIoException(NbdDescriptor.EIO, lu.exportName + ": no path within " + failoverWindow
                            + " (last: " + last + ")");
                }
                sleep(20);
                continue;
            }
            Result r;
            try {
                r = p.hba.initiator.command(p.targetId, p.lun, cdb, out, inLength);
            } catch (NPortException e) {
                last = e.getMessage();
                if (p.up) {
                    p.fail(last);
                    event("%s: path %s -> %06x failed: %s".formatted(p.hba.name(), lu.exportName, p.targetId, last));
                }
                continue;
            }
            if (r.status() == ScsiStatus.GOOD) {
                p.ios.incrementAndGet();
                return r;
            }
            if (r.status() == ScsiStatus.BUSY || r.status() == ScsiStatus.TASK_SET_FULL) {
                sleep(5);
                continue;
            }
            if (r.status() == ScsiStatus.CHECK_CONDITION && attentions++ < 64) {
                int[] s = Scsi.sense(r.sense());
                if (s[0] == 6) {
                    if (s[1] == 0x2A && s[2] == 0x06) {
                        refreshAlua(lu, p);
                    }
                    continue;
                }
                if (s[0] == 2 && s[1] == 0x04 && (s[2] == 0x0A || s[2] == 0x0B || s[2] == 0x0C || s[2] == 0x12)) {
                    refreshAlua(lu, p);
                    if (p.state.active()) {
                        p.state = s[2] == 0x0B ? AccessState.STANDBY : s[2] == 0x0A ? AccessState.TRANSITIONING
                                : AccessState.UNAVAILABLE;
                    }
                    continue;
                }
            }
            throw new BlockIoException(NbdDescriptor.EIO, "%s: status 0x%02x sense %s".formatted(lu.exportName, r.status(),
                    java.util.Arrays.toString(Scsi.sense(r.sense()))));
        }
        throw new BlockIoException(NbdDescriptor.ESHUTDOWN, "shutting down");
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------ views

    List<MultipathLu> luList() {
        synchronized (lus) {
            return new ArrayList<>(lus.values());
        }
    }

    @Override
    public BlockDevice find(String name) {
        List<MultipathLu> all = luList();
        if (name.isEmpty()) {
            return all.isEmpty() ? null : all.get(0);
        }
        for (MultipathLu lu : all) {
            if (lu.exportName.equals(name) || lu.id.equals(name)) {
                return lu;
            }
        }
        return null;
    }

    @Override
    public List<String> names() {
        return luList().stream().map(l -> l.exportName).toList();
    }

    void event(String s) {
        synchronized (events) {
            events.append(java.time.Instant.now()).append(' ').append(s).append('\n');
            if (events.length() > 64 << 10) {
                events.delete(0, events.length() - (32 << 10));
            }
        }
        System.out.println("sanhost: " + s);
    }

    String events() {
        synchronized (events) {
            return events.toString();
        }
    }

    /**
     * Every LU with its paths, as {@code multipath -ll} shows them: per target port group its
     * ALUA state and whether it carries the I/O now ("active") or waits ("enabled"), per path the
     * HBA, the target port, the LUN, and "active ready" or "failed faulty".
     */
    String render(String nbdBase) {
        StringBuilder sb = new StringBuilder();
        for (MultipathLu lu : luList()) {
            List<Path> tier = lu.tier();
            sb.append("%s (%s) size=%d blocks=%d x %d nbd=%s/%s%n".formatted(lu.exportName, lu.id, lu.size(), lu.blocks,
                    lu.blockLength, nbdBase, lu.exportName));
            sb.append("policy='round-robin' prio=alua paths=%d up=%d%n".formatted(lu.paths.size(),
                    lu.paths.stream().filter(p -> p.up).count()));
            Map<Integer, List<Path>> byGroup = new java.util.TreeMap<>();
            for (Path p : lu.paths) {
                byGroup.computeIfAbsent(p.group, g -> new ArrayList<>()).add(p);
            }
            int gi = 0;
            for (Map.Entry<Integer, List<Path>> e : byGroup.entrySet()) {
                boolean lastGroup = ++gi == byGroup.size();
                List<Path> ps = new ArrayList<>(e.getValue());
                ps.sort(Comparator.comparing(Path::key));
                Path first = ps.get(0);
                boolean carrying = ps.stream().anyMatch(tier::contains);
                int prio = first.state == AccessState.ACTIVE_OPTIMIZED ? 50 : first.state == AccessState.ACTIVE_NON_OPTIMIZED ? 10 : 1;
                sb.append("%s-+- tpg=%d prio=%d status=%s alua=%s%s%n".formatted(lastGroup ? "`" : "|", e.getKey(), prio,
                        carrying ? "active" : "enabled", stateName(first.state), first.preferred ? " pref" : ""));
                for (int i = 0; i < ps.size(); i++) {
                    Path p = ps.get(i);
                    sb.append("%s %s %s %06x -> %06x %s rtp=%d lun=%d %s ios=%d%s%n".formatted(lastGroup ? " " : "|",
                            i == ps.size() - 1 ? "`-" : "|-", p.hba.name(), p.hba.port.portId(),
                            p.targetId, Wwn.format(p.targetWwpn), p.relativeTargetPort, p.lun,
                            p.up ? "active ready" : "failed faulty", p.ios.get(),
                            p.up ? "" : " (" + p.lastError + ")"));
                }
            }
        }
        if (sb.length() == 0) {
            sb.append("no LUs\n");
        }
        for (Hba h : hbas) {
            sb.append("%s %s port %06x link %s%n".formatted(h.name(), Wwn.format(h.wwpn()), h.port.portId(),
                    h.end.isUp() ? "up" : "down"));
        }
        return sb.toString();
    }

    static String stateName(AccessState s) {
        switch (s) {
            case ACTIVE_OPTIMIZED:
                return "active/optimized";
            case ACTIVE_NON_OPTIMIZED:
                return "active/non-optimized";
            default:
                return s.name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    Set<Hba> hbas() {
        return Set.copyOf(hbas);
    }

    @Override
    public void close() {
        running = false;
        monitors.forEach(Thread::interrupt);
        hbas.forEach(Hba::close);
    }
}
