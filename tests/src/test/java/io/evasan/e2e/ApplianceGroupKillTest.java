package io.evasan.e2e;

import io.evasan.deploy.EmbeddedAppliance;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Nothing lost, for a LUN in a disk group created at run time and for snapshots taken over the
 * management API while the appliance is killed: the appliance runs in a child JVM; on its first start
 * the test creates a disk group over REST ({@code POST /api/pool/groups}), a thin LUN in it (RAID level
 * drawn from the seed) and presents it to the test's initiator name only. Each round qemu-io writes
 * random 64 KiB patterns to that LUN while another thread takes snapshots of it over REST; the child is
 * then killed with SIGKILL with one write (and sometimes a snapshot request) in flight, and restarted.
 * Seed {@code -Devasan.seed}, kill count {@code -Devasan.groupkills} (CI: 2;
 * {@code tests/scripts/crash-appliance-group.sh} runs many).
 *
 * <p>The test feeds qemu-io its commands one at a time on stdin, so it knows at every instant which
 * writes were issued: at most one is outstanding. Oracles, per 512-byte sector (the whole LUN is read
 * with {@code qemu-img convert} and every sector checked):
 * <ul>
 * <li>LUN after a kill: the image at the round's start with the n acknowledged writes applied in
 *     order; the one write in flight may have landed on any subset of its sectors.</li>
 * <li>A snapshot whose POST answered 2xx: the image after exactly the first p writes of its round,
 *     for one p between the writes acknowledged before the POST was sent and the writes issued when
 *     it returned (so every write acknowledged before is in it, none issued after the answer is);
 *     write p may have landed on part of its sectors. It exists after every restart, and once read
 *     its content never changes.</li>
 * <li>A snapshot whose POST was in flight at the kill: either it does not exist (and never appears
 *     later) or it satisfies the same rule with p up to every write issued before the kill.</li>
 * </ul>
 * Some requests are snapclones ({@code "snapclone":true}), with the same oracle (a snapclone request
 * while another snapclone of the LUN still copies is refused with 409 {@code snapclone}: that name must
 * then never exist). Every snapshot and
 * snapclone is presented to the test's initiator at a host LUN of its own right after its POST answered
 * ({@code POST /api/snapshots/{name}/present}) and read over iSCSI from there with {@code qemu-img
 * convert}: a presentation answered before a kill must still be there after the restart. The child runs
 * with a throttled BGCOPY ({@code --bgcopy-rate}, the default is unthrottled) so kills land while clones
 * copy; after a restart their copy resumes (unthrottled until the launcher's start returns: the rate is
 * set after it). Half of the snapclones get their BGCOPY paused right after the presentation ({@code POST
 * /api/snapshots/{name}/bgcopy/pause}): a pause answered before a kill must still be in force after it;
 * the test then resumes the copy, which runs under the next round's writes and kill. After the last
 * restart the test waits (bounded) until every
 * snapclone is promoted to a LUN of the same disk group, still presented, still reading its image, and
 * the LUN itself still reads its oracle. Once per run the LUN is rolled back to one snapshot ({@code POST
 * /api/luns/{name}/rollback}) after a verification and must then read that snapshot's image, which is the
 * base of the next round.
 */
class ApplianceGroupKillTest {
    private static final int LEN = 64 << 10;
    private static final long LUN_BYTES = 64L << 20;
    private static final int SLOTS = (int) (LUN_BYTES / LEN);
    private static final int SECTORS_PER_SLOT = LEN / 512;
    private static final int SECTORS = (int) (LUN_BYTES / 512);
    private static final int MAX_WRITES = 400;
    /** Snapshots kept after a round's verification (older ones are deleted over the API). */
    private static final int KEEP_SNAPSHOTS = 3;
    private static final long DRIVE_BYTES = 512L << 20;
    private static final String LUN = "glun";
    private static final int HOST_LUN = 1;
    private static final String INITIATOR = "iqn.2026-11.io.evasan:group-kill-host";
    private static final String[] RAID = {"RAID0", "RAID1", "RAID5"};
    private static final String[] POLICY = {"ON_DEMAND", "RESERVE_FULL"};
    /** BGCOPY throttle of the child: a 64 MiB clone copies in about 2 s, so kills land during copies. */
    private static final long BGCOPY_RATE = 32L << 20;
    /** Bound on the wait for every snapclone's promotion to a LUN after the last restart. */
    private static final long PROMOTE_WAIT_SECONDS = 60;
    /** Host LUN of the first snapshot; each snapshot or snapclone takes the next. */
    private static final int FIRST_SNAPSHOT_HOST_LUN = 2;
    private static final Pattern ACK = Pattern.compile("wrote (\\d+)/(\\d+) bytes at offset (\\d+)");

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private String token;
    private ChildAppliance child;
    private int groupId;
    private int groupDrives;
    private String groupName;
    /** The verification (round number) after which the LUN is rolled back to one of its snapshots. */
    private int rollbackRound;
    /** The verification (round number) that also checks that another initiator does not see the LUN. */
    private int masking;

    /** A 64 KiB pattern write: slot index and fill byte (1..255). */
    private record Write(int slot, int fill) {
    }

    /**
     * What a disk may read: {@code base} (one fill byte per sector) with {@code writes[0..p-1]} applied,
     * for some {@code lo <= p <= hi}; write p may also cover any subset of its sectors when {@code p < partialBelow}.
     */
    private record Oracle(byte[] base, Write[] writes, int lo, int hi, int partialBelow) {
    }

    /**
     * A snapshot or snapclone of the LUN the test asked for: its oracle until first read, then the pinned image;
     * {@code presented} once a presentation at {@code hostLun} was answered 200 (it must then survive every restart);
     * {@code promoted} once a snapclone was seen as a LUN (it never goes back).
     */
    private static final class Snap {
        final String name;
        final String policy;
        final boolean clone;
        final int hostLun;
        final Oracle oracle;
        final boolean acknowledged;
        boolean presented;
        boolean promoted;
        /** The BGCOPY pause was answered 200 and the copy not resumed since: it must stay PAUSED across kills. */
        boolean paused;
        byte[] image;

        Snap(Post p, Oracle oracle, boolean acknowledged) {
            this.name = p.name();
            this.policy = p.policy();
            this.clone = p.snapclone();
            this.hostLun = p.hostLun();
            this.oracle = oracle;
            this.acknowledged = acknowledged;
            this.presented = p.presentStatus() == 200;
            this.paused = p.pauseStatus() == 200;
        }

        String kind() {
            return clone ? "snapclone" : "snapshot";
        }
    }

    /**
     * Outcome of one snapshot POST made during a round and of the presentation that follows a 2xx answer
     * and of the BGCOPY pause of some snapclones (status / presentStatus / pauseStatus -1 = no answer, 0 = not attempted).
     */
    private record Post(String name, String policy, boolean snapclone, int hostLun, int ackedBefore, int issuedAfter, int status,
                        String body, long millis, int presentStatus, String presentBody, int pauseStatus) {
    }

    private final AtomicInteger nextHostLun = new AtomicInteger(FIRST_SNAPSHOT_HOST_LUN);

    @Test
    void shouldKeepWritesAndSnapshotsOfALunInARuntimeDiskGroupAcrossKill9() throws Exception {
        Clients.require("qemu-io", "qemu-img", "stdbuf");
        long seed = Long.getLong("evasan.seed", System.nanoTime());
        int kills = Integer.getInteger("evasan.groupkills", 2);
        System.out.println("ApplianceGroupKillTest seed=" + seed + " kills=" + kills);
        Random rnd = new Random(seed);
        Path data = dir.resolve("data");
        long started = System.nanoTime();

        child = ChildAppliance.start(data, 64L << 20, childOptions());
        token = child.createdToken();
        assertNotNull(token, "first start prints the admin token: " + child.log());
        String raid = RAID[rnd.nextInt(RAID.length)];
        groupDrives = 8 + rnd.nextInt(5);
        groupName = "kg" + Long.toUnsignedString(seed % 100000);
        HttpResponse<String> g = api("POST", "/api/pool/groups", new JsonObject().put("name", groupName)
                .put("drives", groupDrives).put("driveSizeBytes", DRIVE_BYTES).encode());
        assertEquals(201, g.statusCode(), g.body());
        groupId = new JsonObject(g.body()).getInteger("id");
        HttpResponse<String> l = api("POST", "/api/luns", new JsonObject().put("name", LUN).put("sizeBytes", LUN_BYTES)
                .put("raid", raid).put("group", groupName).encode());
        assertEquals(201, l.statusCode(), l.body());
        assertEquals(groupId, new JsonObject(l.body()).getInteger("group"), l.body());
        HttpResponse<String> p = api("POST", "/api/luns/" + LUN + "/present",
                new JsonObject().put("initiator", INITIATOR).put("hostLun", HOST_LUN).encode());
        assertEquals(200, p.statusCode(), p.body());
        System.out.println("group " + groupName + " (id " + groupId + ", " + groupDrives + " drives of " + (DRIVE_BYTES >> 20)
                + " MiB), LUN " + LUN + " " + (LUN_BYTES >> 20) + " MiB " + raid + ", host LUN " + HOST_LUN + " for " + INITIATOR);

        byte[] base = new byte[SECTORS];   // a new thin LUN reads zeros
        Oracle lunOracle = new Oracle(base, new Write[0], 0, 0, 0);
        Map<String, Snap> snaps = new LinkedHashMap<>();
        Map<String, Snap> inFlight = new LinkedHashMap<>();
        Set<String> gone = new HashSet<>();
        masking = kills;
        // acked writes, acked snapshots, acked snapclones, in-flight requests, of those existing, snapshot reads,
        // presentations answered before a kill and found after the restart, clones copying at a restart, clones promoted,
        // rollbacks
        // snapclones refused while another one copied
        // BGCOPY pauses answered before a kill and found in force after it
        int[] totals = new int[12];
        rollbackRound = Math.min(1, kills);
        try {
            for (int round = 0; round < kills; round++) {
                if (round > 0) {
                    base = verify("round " + round + " after restart (seed " + seed + ")", lunOracle, snaps, inFlight, gone, round,
                            totals);
                }
                lunOracle = workload(rnd, round, base, snaps, inFlight, gone, totals);
                child = ChildAppliance.start(data, 64L << 20, childOptions());
                assertEquals(null, child.createdToken(), "a restart prints no new token");
            }
            verify("final (seed " + seed + ")", lunOracle, snaps, inFlight, gone, kills, totals);
            assertTrue(totals[9] == 1 || snaps.values().stream().allMatch(x -> x.clone),
                    "the rollback check ran (no plain snapshot existed at round " + rollbackRound + ")");
        } finally {
            child.stop();
        }
        System.out.printf("ApplianceGroupKillTest seed=%d: %d kills, %d writes acknowledged, %d snapshots and %d snapclones "
                        + "acknowledged, %d requests in flight at a kill (%d of them existed after restart), %d snapshot/snapclone "
                        + "reads through their own host LUN, %d presentations answered before a kill found after it, %d times a "
                        + "snapclone was copying when a kill was armed, %d snapclones seen promoted to LUNs (in their group, presented, reading their image), %d rollback(s) "
                        + "checked, %d snapclone requests refused (409, another snapclone of the LUN was copying), "
                        + "%d BGCOPY pauses answered before a kill still in force after it (then resumed), %.1f s%n", seed, kills,
                totals[0], totals[1], totals[2], totals[3], totals[4], totals[5], totals[6], totals[7], totals[8], totals[9], totals[10],
                totals[11], (System.nanoTime() - started) / 1e9);
    }

    // ------------------------------------------------------------------ one round: writes, snapshots, kill -9

    private Oracle workload(Random rnd, int round, byte[] base, Map<String, Snap> snaps, Map<String, Snap> inFlight, Set<String> gone,
                            int[] totals) throws Exception {
        Write[] plan = new Write[MAX_WRITES];
        int hot = rnd.nextInt(SLOTS - 64);
        int[] last = new int[SLOTS];
        for (int i = 0; i < MAX_WRITES; i++) {
            int slot = rnd.nextBoolean() ? hot + rnd.nextInt(64) : rnd.nextInt(SLOTS);
            int fill = 1 + rnd.nextInt(255);
            int prev = last[slot] != 0 ? last[slot] : base[slot * SECTORS_PER_SLOT] & 0xff;
            if (fill == prev) {
                fill = fill % 255 + 1;
            }
            last[slot] = fill;
            plan[i] = new Write(slot, fill);
        }
        // the kill comes a random delay after write killAt is issued, right after the next write is issued;
        // snapshots are requested at acknowledgement counts before
        int killAt = 40 + rnd.nextInt(MAX_WRITES - 140);
        int nSnaps = 1 + rnd.nextInt(4);
        int[] snapAt = new int[nSnaps];
        for (int j = 0; j < nSnaps; j++) {
            snapAt[j] = 2 + rnd.nextInt(killAt - 10);
        }
        Arrays.sort(snapAt);
        String[] policies = new String[nSnaps + 1];
        boolean[] clones = new boolean[nSnaps + 1];
        boolean[] pauses = new boolean[nSnaps + 1];
        for (int j = 0; j <= nSnaps; j++) {
            policies[j] = POLICY[rnd.nextInt(POLICY.length)];
            clones[j] = rnd.nextInt(3) == 0;
            pauses[j] = clones[j] && rnd.nextBoolean();
        }
        // with a snapshot request at the kill point, the kill lands before, during or after its answer
        boolean snapshotAtKill = rnd.nextBoolean();
        int killDelayMicros = snapshotAtKill ? rnd.nextInt(60_000) : rnd.nextInt(3000);

        List<String> cmd = new ArrayList<>(List.of("stdbuf", "-oL", "qemu-io", "--image-opts", imageOpts(HOST_LUN)));
        Process q = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        List<String> out = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger acks = new AtomicInteger();
        AtomicInteger issued = new AtomicInteger();
        AtomicBoolean killed = new AtomicBoolean();
        List<String> problems = Collections.synchronizedList(new ArrayList<>());
        Object tick = new Object();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(q.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    out.add(line);
                    Matcher m = ACK.matcher(line);
                    if (m.find()) {
                        int n = acks.get();
                        long off = Long.parseLong(m.group(3));
                        if (n >= MAX_WRITES || off != (long) plan[n].slot() * LEN) {
                            problems.add("acknowledgement " + n + " at offset " + off + " does not match the write issued");
                        }
                        acks.incrementAndGet();
                    }
                    synchronized (tick) {
                        tick.notifyAll();
                    }
                }
            } catch (IOException ignored) {
                // qemu-io gone
            }
            synchronized (tick) {
                tick.notifyAll();
            }
        }, "qemu-io-out");
        reader.start();

        List<Post> posts = Collections.synchronizedList(new ArrayList<>());
        Thread snapper = new Thread(() -> {
            for (int j = 0; j < nSnaps && !killed.get(); j++) {
                try {
                    synchronized (tick) {
                        while (acks.get() < snapAt[j] && !killed.get() && q.isAlive()) {
                            tick.wait(100);
                        }
                    }
                    if (killed.get()) {
                        return;
                    }
                    posts.add(snapshot("r" + round + "-s" + j, policies[j], clones[j], pauses[j], acks, issued));
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "snapshot-requests");
        snapper.start();

        Thread killSnapshot = null;
        List<String> copyingAtKill = List.of();
        long killTime = Long.MAX_VALUE;
        boolean idle = true;
        try (OutputStream stdin = q.getOutputStream()) {
            for (int i = 0; i < MAX_WRITES; i++) {
                issued.set(i + 1);   // before the command leaves: "issued after the answer" is never undercounted
                stdin.write(("write -P " + plan[i].fill() + " " + (long) plan[i].slot() * LEN + " " + LEN + "\n")
                        .getBytes(StandardCharsets.US_ASCII));
                stdin.flush();
                if (i == killAt) {
                    copyingAtKill = copyingClones();
                    if (snapshotAtKill) {
                        String name = "r" + round + "-k";
                        killSnapshot = new Thread(() -> posts.add(snapshot(name, policies[nSnaps], clones[nSnaps], pauses[nSnaps], acks, issued)),
                                "snapshot-at-kill");
                        killSnapshot.start();
                    }
                    killTime = System.nanoTime() + TimeUnit.MICROSECONDS.toNanos(killDelayMicros);
                }
                if (System.nanoTime() >= killTime) {
                    idle = false;   // write i was just issued: it is in flight at the kill
                    break;
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                synchronized (tick) {
                    while (acks.get() < i + 1) {
                        if (!q.isAlive() || System.nanoTime() > deadline || !problems.isEmpty()) {
                            fail("write " + i + " not acknowledged: " + problems + "\n" + String.join("\n", out)
                                    + "\nappliance:\n" + child.log());
                        }
                        tick.wait(100);
                    }
                }
            }
            if (idle) {   // every planned write was acknowledged before the kill time: kill now, nothing in flight
                long wait = killTime - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
            }
            killed.set(true);
            child.kill9();
        } catch (IOException e) {
            // stdin closed under us: qemu-io died; the acknowledgement wait above reports it
            throw new AssertionError("qemu-io stdin: " + e + "\n" + String.join("\n", out), e);
        }
        // qemu-io would retry the outstanding write against the restarted appliance: stop it first
        q.destroyForcibly();
        q.waitFor();
        reader.join(10_000);
        snapper.join(60_000);
        if (killSnapshot != null) {
            killSnapshot.join(60_000);
        }
        assertTrue(problems.isEmpty(), problems + "\n" + String.join("\n", out));
        int n = acks.get();
        int total = issued.get();
        assertTrue(n == total || n == total - 1, "acknowledged " + n + " of " + total + " issued");
        totals[0] += n;

        Write[] done = Arrays.copyOf(plan, total);
        StringBuilder report = new StringBuilder();
        synchronized (posts) {
            for (Post p : posts) {
                report.append(String.format("%n  %s %s %s: %s after %d ms, acknowledged writes before %d, issued at answer %s; "
                                + "present at host LUN %d: %s", p.snapclone() ? "snapclone" : "snapshot", p.name(),
                        p.snapclone() ? "" : p.policy(), p.status() < 0 ? "no answer (killed)" : "HTTP " + p.status(), p.millis(),
                        p.ackedBefore(), p.status() < 0 ? "-" : String.valueOf(p.issuedAfter()), p.hostLun(),
                        p.presentStatus() == 0 ? "not sent" : p.presentStatus() < 0 ? "no answer (killed)"
                                : "HTTP " + p.presentStatus()) + (p.pauseStatus() == 0 ? "" : "; BGCOPY pause: "
                        + (p.pauseStatus() < 0 ? "no answer (killed)" : "HTTP " + p.pauseStatus())));
                // 409: the copy had finished; 404: it had finished and the clone was already promoted to a
                // LUN (no snapshot of that name any more) -- a short clone can copy in its first batch
                assertTrue(p.pauseStatus() <= 0 || p.pauseStatus() == 200 || p.pauseStatus() == 409 || p.pauseStatus() == 404,
                        "pause the BGCOPY of " + p.name() + ": HTTP " + p.pauseStatus());
                if (p.status() == 201 || p.status() == 202) {
                    assertTrue(p.presentStatus() <= 0 || p.presentStatus() == 200 || p.status() == 202 && p.presentStatus() == 404,
                            "present " + p.name() + " at host LUN " + p.hostLun() + ": HTTP " + p.presentStatus() + " "
                                    + p.presentBody());
                    snaps.put(p.name(), new Snap(p, new Oracle(base, done, p.ackedBefore(), p.issuedAfter(), p.issuedAfter()), true));
                    totals[p.snapclone() ? 2 : 1]++;
                } else if (p.status() < 0) {
                    inFlight.put(p.name(), new Snap(p, new Oracle(base, done, p.ackedBefore(), total, total), false));
                    totals[3]++;
                } else if (p.snapclone() && p.status() == 409 && "snapclone".equals(new JsonObject(p.body()).getString("field"))) {
                    // one snapclone per tree copies at a time: refused, and nothing may have been created
                    gone.add(p.name());
                    totals[10]++;
                } else {
                    fail("snapshot " + p.name() + " refused: HTTP " + p.status() + " " + p.body());
                }
            }
        }
        System.out.println("round " + round + ": kill -9 " + killDelayMicros + " us after write " + killAt + " was issued"
                + (idle ? " (no write in flight)" : "") + "; " + n + " of " + total + " writes acknowledged"
                + (copyingAtKill.isEmpty() ? "" : "; snapclone(s) copying when the kill was armed: " + copyingAtKill) + report);
        totals[7] += copyingAtKill.size();
        return new Oracle(base, done, n, n, total);
    }

    /**
     * POSTs a snapshot (or snapclone) of the LUN and notes what was acknowledged before and issued after; after a 2xx
     * answer presents it to the test's initiator at a new host LUN. Status -1 = no answer.
     */
    private Post snapshot(String name, String policy, boolean clone, boolean pause, AtomicInteger acks, AtomicInteger issued) {
        int hostLun = nextHostLun.getAndIncrement();
        int before = acks.get();
        long t0 = System.nanoTime();
        JsonObject req = new JsonObject().put("name", name);
        if (clone) {
            req.put("snapclone", true);
        } else {
            req.put("policy", policy);
        }
        HttpResponse<String> r;
        int after;
        try {
            r = api("POST", "/api/luns/" + LUN + "/snapshots", req.encode());
            after = issued.get();
        } catch (IOException | InterruptedException e) {
            return new Post(name, policy, clone, hostLun, before, -1, -1, e.toString(), (System.nanoTime() - t0) / 1_000_000, 0, "", 0);
        }
        long millis = (System.nanoTime() - t0) / 1_000_000;
        if (r.statusCode() != 201 && r.statusCode() != 202) {
            return new Post(name, policy, clone, hostLun, before, after, r.statusCode(), r.body(), millis, 0, "", 0);
        }
        HttpResponse<String> pr;
        try {
            pr = present(name, clone, hostLun);
        } catch (IOException | InterruptedException e) {
            return new Post(name, policy, clone, hostLun, before, after, r.statusCode(), r.body(), millis, -1, e.toString(), 0);
        }
        int paused = 0;
        if (pause) {
            try {
                paused = api("POST", "/api/snapshots/" + name + "/bgcopy/pause", null).statusCode();
            } catch (IOException | InterruptedException e) {
                paused = -1;
            }
        }
        return new Post(name, policy, clone, hostLun, before, after, r.statusCode(), r.body(), millis, pr.statusCode(), pr.body(), paused);
    }

    /** Snapclones of the test whose BGCOPY is not finished, as listed now: name and progress. */
    private List<String> copyingClones() throws IOException, InterruptedException {
        List<String> copying = new ArrayList<>();
        HttpResponse<String> r = api("GET", "/api/snapshots", null);
        assertEquals(200, r.statusCode(), r.body());
        for (Object o : new JsonArray(r.body())) {
            JsonObject b = ((JsonObject) o).getJsonObject("bgcopy");
            if (b != null && !"DONE".equals(b.getString("state")) && b.getLong("done") < b.getLong("total")) {
                copying.add(((JsonObject) o).getString("name") + " " + b.getLong("done") + "/" + b.getLong("total"));
            }
        }
        return copying;
    }

    /** Presents a snapshot to the test's initiator; a snapclone already promoted to a LUN is presented as a LUN. */
    private HttpResponse<String> present(String name, boolean clone, int hostLun) throws IOException, InterruptedException {
        String body = new JsonObject().put("initiator", INITIATOR).put("hostLun", hostLun).encode();
        HttpResponse<String> r = api("POST", "/api/snapshots/" + name + "/present", body);
        if (clone && r.statusCode() == 404) {
            r = api("POST", "/api/luns/" + name + "/present", body);
        }
        return r;
    }

    private List<String> childOptions() {
        return List.of("--bgcopy-rate=" + BGCOPY_RATE);
    }

    // ------------------------------------------------------------------ verification after a restart

    /** Checks group, LUN, snapshot list and every byte of the LUN and of each snapshot; returns the LUN's image. */
    private byte[] verify(String when, Oracle lunOracle, Map<String, Snap> snaps, Map<String, Snap> inFlight,
                          Set<String> gone, int round, int[] totals) throws Exception {
        long t0 = System.nanoTime();
        JsonObject group = null;
        HttpResponse<String> pool = api("GET", "/api/pool", null);
        assertEquals(200, pool.statusCode(), when + ": " + pool.body());
        for (Object o : new JsonObject(pool.body()).getJsonArray("groups")) {
            JsonObject gr = (JsonObject) o;
            if (groupName.equals(gr.getString("name"))) {
                group = gr;
            }
        }
        assertNotNull(group, when + ": disk group " + groupName + " is gone: " + pool.body());
        assertEquals(groupId, group.getInteger("id"), when + ": group id");
        assertEquals(groupDrives, group.getJsonArray("drives").size(), when + ": drives of the group");
        HttpResponse<String> lr = api("GET", "/api/luns/" + LUN, null);
        assertEquals(200, lr.statusCode(), when + ": " + lr.body());
        JsonObject lun = new JsonObject(lr.body());
        assertEquals(LUN_BYTES, lun.getLong("sizeBytes"), when + ": LUN size");
        assertEquals(groupId, lun.getInteger("group"), when + ": LUN group");
        assertTrue(lun.getJsonArray("presentations").contains(new JsonObject().put("initiator", INITIATOR).put("hostLun", HOST_LUN)),
                when + ": presentation " + lun);

        // snapshots, LUNs, snapshots again: promotion may move a snapclone between two GETs, never back
        Map<String, JsonObject> before = listSnapshots(when);
        Map<String, JsonObject> luns = listLuns(when);
        Map<String, JsonObject> listed = listSnapshots(when);
        // snapclones still copying right after the restart (--bgcopy-rate applies only once the start is done: a resumed
        // copy may finish during the start)
        for (Snap s : snaps.values()) {
            JsonObject j = before.get(s.name);
            if (round > 0 && s.clone && j != null && j.getJsonObject("bgcopy") != null) {
                System.out.println(when + ": snapclone " + s.name + " still copying after the restart: " + j.getJsonObject("bgcopy"));
            }
        }
        // the snapshot list: every acknowledged one, an in-flight one at most once decided, nothing else;
        // a snapclone is either a snapshot (copying) or, once promoted, a LUN of the same group
        for (Map.Entry<String, Snap> e : inFlight.entrySet()) {
            String name = e.getKey();
            if (before.containsKey(name) || luns.containsKey(name) || listed.containsKey(name)) {
                snaps.put(name, e.getValue());
                totals[4]++;
                System.out.println(when + ": " + e.getValue().kind() + " " + name + " requested at the kill exists");
            } else {
                gone.add(name);
                System.out.println(when + ": " + e.getValue().kind() + " " + name + " requested at the kill does not exist");
            }
        }
        inFlight.clear();
        // a BGCOPY pause answered before a kill is still in force after it; the copy is resumed here, so it runs under the
        // next round's writes and kill (and finishes before the final checks)
        for (Snap s : snaps.values()) {
            JsonObject b = s.clone && !luns.containsKey(s.name) && before.containsKey(s.name)
                    ? before.get(s.name).getJsonObject("bgcopy") : null;
            boolean pausedNow = b != null && "PAUSED".equals(b.getString("state"));
            if (s.paused) {
                assertTrue(pausedNow, when + ": the BGCOPY of snapclone " + s.name + " was paused before the kill: "
                        + (b != null ? b : luns.containsKey(s.name) ? "promoted to a LUN" : "not listed"));
            }
            if (pausedNow) {
                HttpResponse<String> r = api("POST", "/api/snapshots/" + s.name + "/bgcopy/resume", null);
                assertEquals(200, r.statusCode(), when + ": resume the BGCOPY of " + s.name + ": " + r.body());
                System.out.println(when + ": snapclone " + s.name + " still paused (" + b + "), resumed");
                totals[11] += s.paused ? 1 : 0;
                s.paused = false;
            }
        }
        if (round == masking) {
            awaitPromotion(when, snaps);
            before = listSnapshots(when);
            luns = listLuns(when);
            listed = listSnapshots(when);
        }
        for (Snap s : snaps.values()) {
            JsonObject l = luns.get(s.name);
            JsonObject j = s.clone && l == null ? before.get(s.name) : listed.get(s.name);
            JsonObject presentedBy;
            if (!s.clone) {
                assertNotNull(j, when + ": acknowledged snapshot " + s.name + " is missing; listed " + listed.keySet());
                assertTrue(l == null, when + ": snapshot " + s.name + " is listed as a LUN " + l);
                assertEquals(s.policy, j.getString("policy"), when + ": policy of " + s.name);
                assertEquals(Boolean.FALSE, j.getBoolean("snapclone"), when + ": " + j);
                presentedBy = j;
            } else if (l == null) {
                assertNotNull(j, when + ": acknowledged snapclone " + s.name + " is neither a snapshot nor a LUN; snapshots "
                        + before.keySet() + ", LUNs " + luns.keySet());
                assertTrue(!s.promoted, when + ": snapclone " + s.name + " was promoted to a LUN and is a snapshot again: " + j);
                assertEquals(Boolean.TRUE, j.getBoolean("snapclone"), when + ": " + j);
                presentedBy = j;
            } else {
                assertTrue(j == null, when + ": snapclone " + s.name + " is listed as a LUN and after that as a snapshot: " + l + " " + j);
                assertEquals(groupId, l.getInteger("group"), when + ": disk group of the promoted snapclone " + l);
                assertEquals(LUN_BYTES, l.getLong("sizeBytes"), when + ": size of the promoted snapclone " + l);
                if (!s.promoted) {
                    s.promoted = true;
                    totals[8]++;
                }
                presentedBy = l;
            }
            JsonArray pres = presentedBy.getJsonArray("presentations");
            JsonObject mine = new JsonObject().put("initiator", INITIATOR).put("hostLun", s.hostLun);
            if (s.presented) {
                assertEquals(new JsonArray().add(mine), pres, when + ": presentation of " + s.kind() + " " + s.name);
                if (round > 0 && s.image == null) {
                    totals[6]++;   // presented before the kill, first verification after it
                }
            } else if (pres.contains(mine)) {
                assertEquals(1, pres.size(), when + ": presentations of " + s.name + ": " + pres);
                s.presented = true;   // the presentation request was cut by the kill and had taken effect
            } else {
                assertEquals(0, pres.size(), when + ": presentations of " + s.name + ": " + pres);
                HttpResponse<String> r = present(s.name, s.clone, s.hostLun);
                assertEquals(200, r.statusCode(), when + ": present " + s.name + " at host LUN " + s.hostLun + ": " + r.body());
                s.presented = true;
            }
        }
        for (String name : listed.keySet()) {
            assertTrue(snaps.containsKey(name), when + ": unexpected snapshot " + name
                    + (gone.contains(name) ? " (it did not exist after an earlier restart)" : ""));
        }
        for (String name : luns.keySet()) {
            assertTrue(name.equals(LUN) || name.equals(EmbeddedAppliance.FIRST_LUN) || snaps.containsKey(name) && snaps.get(name).clone,
                    when + ": unexpected LUN " + name + (gone.contains(name) ? " (it did not exist after an earlier restart)" : ""));
        }
        if (round == masking) {
            for (Snap s : snaps.values()) {
                assertTrue(!s.clone || s.promoted, when + ": snapclone " + s.name + " not promoted");
            }
        }

        if (round == masking) {
            // LUN masking survives restarts: the same read as another initiator is refused host LUN 1
            Clients.Result mine = Clients.run(60, List.of("qemu-io", "-r", "--image-opts", imageOpts(HOST_LUN), "-c", "read 0 4k"));
            assertTrue(mine.exitCode() == 0 && mine.count("read ") == 1, when + ": " + INITIATOR + " reads: " + mine);
            Clients.Result other = Clients.run(60, List.of("qemu-io", "-r", "--image-opts",
                    imageOpts(HOST_LUN).replace(INITIATOR, "iqn.2026-11.io.evasan:not-presented"), "-c", "read 0 4k"));
            assertTrue(other.exitCode() != 0 && other.count("read ") == 0, when + ": another initiator opened host LUN "
                    + HOST_LUN + ": " + other);
            System.out.println(when + ": another initiator is refused host LUN " + HOST_LUN + ": " + other.lines());
        }
        byte[] image = read(when + ": LUN", HOST_LUN);
        check(when + ": LUN", image, lunOracle);
        int verified = snaps.size();
        for (Snap s : snaps.values()) {
            String what = when + ": " + s.kind() + " " + s.name + (s.promoted ? " (promoted to a LUN)" : "")
                    + " at host LUN " + s.hostLun;
            byte[] si = read(what, s.hostLun);
            if (s.image == null) {
                check(what + (s.acknowledged ? "" : " (requested at a kill)"), si, s.oracle);
                s.image = si;
            } else {
                assertImage(what + " changed since it was first read", s.image, si);
            }
            totals[5]++;
        }
        if (round == rollbackRound) {
            // rollback stays covered once per run: the LUN must then read the snapshot, and carries on from there
            List<Snap> plain = snaps.values().stream().filter(x -> !x.clone).toList();
            if (!plain.isEmpty()) {
                Snap to = plain.get(Math.floorMod(Arrays.hashCode(image), plain.size()));
                rollback(when, to.name);
                image = read(when + ": LUN after rollback to " + to.name, HOST_LUN);
                assertImage(when + ": LUN after rollback to " + to.name, to.image, image);
                assertImage(when + ": snapshot " + to.name + " after the rollback to it", to.image, read(when + ": " + to.name, to.hostLun));
                totals[9]++;
                System.out.println(when + ": LUN rolled back to snapshot " + to.name + " reads its image");
            } else {
                rollbackRound++;   // no plain snapshot yet: try after the next round
            }
        }
        List<String> names = new ArrayList<>(snaps.keySet());
        for (int i = 0; i < names.size() - KEEP_SNAPSHOTS; i++) {
            Snap s = snaps.get(names.get(i));
            if (s.clone && !s.promoted) {
                continue;   // kept until its copy is done (deleting it would cancel the copy)
            }
            String path = s.clone ? "/api/luns/" : "/api/snapshots/";
            HttpResponse<String> u = api("POST", path + s.name + "/unpresent",
                    new JsonObject().put("initiator", INITIATOR).put("hostLun", s.hostLun).encode());
            assertEquals(200, u.statusCode(), when + ": unpresent " + s.name + ": " + u.body());
            HttpResponse<String> del = api("DELETE", path + s.name, null);
            assertEquals(204, del.statusCode(), when + ": delete " + s.name + ": " + del.body());
            snaps.remove(s.name);
            gone.add(s.name);
        }
        System.out.printf("%s: group, LUN and %d snapshot(s)/snapclone(s) verified in %.1f s%n", when, verified,
                (System.nanoTime() - t0) / 1e9);
        return image;
    }

    /** Waits (bounded) until no snapclone of the test is listed as a snapshot any more: each must become a LUN. */
    private void awaitPromotion(String when, Map<String, Snap> snaps) throws Exception {
        long t0 = System.nanoTime();
        long deadline = t0 + TimeUnit.SECONDS.toNanos(PROMOTE_WAIT_SECONDS);
        while (true) {
            Map<String, JsonObject> listed = listSnapshots(when);
            List<JsonObject> copying = snaps.values().stream().filter(x -> x.clone && listed.containsKey(x.name))
                    .map(x -> listed.get(x.name)).toList();
            if (copying.isEmpty()) {
                System.out.printf("%s: every snapclone promoted after %.1f s%n", when, (System.nanoTime() - t0) / 1e9);
                return;
            }
            if (System.nanoTime() > deadline) {
                fail(when + ": snapclones not promoted to LUNs within " + PROMOTE_WAIT_SECONDS + " s: " + copying + "\njobs: "
                        + api("GET", "/api/jobs", null).body());
            }
            Thread.sleep(200);
        }
    }

    private Map<String, JsonObject> listSnapshots(String when) throws Exception {
        HttpResponse<String> sr = api("GET", "/api/snapshots", null);
        assertEquals(200, sr.statusCode(), when + ": " + sr.body());
        Map<String, JsonObject> listed = new LinkedHashMap<>();
        for (Object o : new JsonArray(sr.body())) {
            JsonObject s = (JsonObject) o;
            listed.put(s.getString("name"), s);
            assertEquals(LUN, s.getString("lun"), when + ": snapshot of another LUN " + s);
        }
        return listed;
    }

    private Map<String, JsonObject> listLuns(String when) throws Exception {
        HttpResponse<String> lr = api("GET", "/api/luns", null);
        assertEquals(200, lr.statusCode(), when + ": " + lr.body());
        Map<String, JsonObject> luns = new LinkedHashMap<>();
        for (Object o : new JsonArray(lr.body())) {
            JsonObject l = (JsonObject) o;
            luns.put(l.getString("name"), l);
        }
        return luns;
    }

    private void rollback(String when, String snapshot) throws Exception {
        HttpResponse<String> r = api("POST", "/api/luns/" + LUN + "/rollback", new JsonObject().put("snapshot", snapshot).encode());
        assertEquals(200, r.statusCode(), when + ": rollback to " + snapshot + ": " + r.body());
    }

    /** The LUN read over iSCSI (as the test's initiator) with qemu-img convert: one fill byte per 512-byte sector. */
    private byte[] read(String what, int hostLun) throws Exception {
        Path image = dir.resolve("image.raw");
        Files.deleteIfExists(image);
        Clients.Result conv = Clients.run(300, List.of("qemu-img", "convert", "--image-opts", imageOpts(hostLun), "-O", "raw",
                image.toString()));
        assertEquals(0, conv.exitCode(), what + ": qemu-img convert " + conv);
        assertEquals(LUN_BYTES, Files.size(image), what + ": image size");
        byte[] fills = new byte[SECTORS];
        byte[] slot = new byte[LEN];
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            for (int s = 0; s < SLOTS; s++) {
                ByteBuffer b = ByteBuffer.wrap(slot);
                while (b.hasRemaining()) {
                    if (ch.read(b, (long) s * LEN + b.position()) < 0) {
                        throw new AssertionError(what + ": image ends at slot " + s);
                    }
                }
                for (int sector = 0; sector < SECTORS_PER_SLOT; sector++) {
                    int at = sector * 512;
                    byte fill = slot[at];
                    for (int k = 1; k < 512; k++) {
                        if (slot[at + k] != fill) {
                            throw new AssertionError(what + ": sector at offset " + ((long) s * LEN + at)
                                    + " holds mixed bytes (" + (fill & 0xff) + " then " + (slot[at + k] & 0xff) + " at byte " + k + ")");
                        }
                    }
                    fills[s * SECTORS_PER_SLOT + sector] = fill;
                }
            }
        }
        Files.delete(image);
        return fills;
    }

    /** Passes when some p of the oracle explains every sector; otherwise reports the closest p. */
    private static void check(String what, byte[] image, Oracle o) {
        String best = null;
        int bestBad = Integer.MAX_VALUE;
        for (int p = o.lo(); p <= o.hi(); p++) {
            byte[] expected = o.base().clone();
            for (int k = 0; k < p; k++) {
                Arrays.fill(expected, o.writes()[k].slot() * SECTORS_PER_SLOT, (o.writes()[k].slot() + 1) * SECTORS_PER_SLOT,
                        (byte) o.writes()[k].fill());
            }
            Write partial = p < o.partialBelow() && p < o.writes().length ? o.writes()[p] : null;
            int bad = 0;
            String first = null;
            for (int s = 0; s < SECTORS; s++) {
                if (image[s] == expected[s]) {
                    continue;
                }
                if (partial != null && s / SECTORS_PER_SLOT == partial.slot() && (image[s] & 0xff) == partial.fill()) {
                    continue;
                }
                if (bad++ == 0) {
                    first = "offset " + (s * 512L) + " (slot " + (s / SECTORS_PER_SLOT) + ") holds fill " + (image[s] & 0xff)
                            + ", expected " + (expected[s] & 0xff) + (partial != null && s / SECTORS_PER_SLOT == partial.slot()
                            ? " or " + partial.fill() : "");
                }
            }
            if (bad == 0) {
                if (o.lo() != o.hi()) {
                    System.out.println(what + ": holds the first " + p + " writes of its round (allowed " + o.lo() + ".." + o.hi() + ")");
                }
                return;
            }
            if (bad < bestBad) {
                bestBad = bad;
                best = "with the first " + p + " writes: " + bad + " sector(s) wrong, first " + first;
            }
        }
        throw new AssertionError(what + ": no prefix of " + o.lo() + ".." + o.hi() + " of the round's writes explains it; closest "
                + best);
    }

    private static void assertImage(String what, byte[] expected, byte[] actual) {
        int i = Arrays.mismatch(expected, actual);
        if (i >= 0) {
            fail(what + ": offset " + (i * 512L) + " holds fill " + (actual[i] & 0xff) + ", expected " + (expected[i] & 0xff));
        }
        assertArrayEquals(expected, actual, what);
    }

    /** qemu's iSCSI driver options: a host LUN of the target, logged in as the test's initiator. */
    private String imageOpts(int hostLun) {
        return "driver=iscsi,transport=tcp,portal=127.0.0.1:" + child.iscsiPort() + ",target=" + EmbeddedAppliance.DEFAULT_IQN
                + ",lun=" + hostLun + ",initiator-name=" + INITIATOR;
    }

    private HttpResponse<String> api(String method, String path, String body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + child.mgmtPort() + path))
                .timeout(Duration.ofSeconds(120))
                .header("Authorization", "Bearer " + token)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
