package io.evasan.e2e;

import io.evasan.deploy.EmbeddedAppliance;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11 finding 3 end to end, with qemu-io over iscsi:// against the appliance in a child JVM:
 * <ol>
 * <li>Pool full: a thin 1 GiB RAID5 LUN in a disk group of six 64 MiB drives is written 1 MiB per
 *     segment until the group is full; the write that does not fit fails (07/27/07 SPACE ALLOCATION
 *     FAILED, which qemu reports as ENOSPC), every write acknowledged before reads back.</li>
 * <li>Second drive lost: a RAID5 LUN in another small group keeps what was acknowledged while one
 *     drive is failed (redundancy remained: it reads back); after the second drive fails, a write to a
 *     held segment is given up within bounds (03/03/00 on its FUA / flush, the range then reads as an
 *     error, never stale data) and a write to an unallocated segment does not fit (07/27/07).</li>
 * <li>Throughout both, a reader loops on {@code lun0} (the default disk group): every read answers.</li>
 * </ol>
 */
class ApplianceDestageFailureTest {
    private static final String INITIATOR = "iqn.2026-11.io.evasan:destage-host";
    private static final long MIB = 1L << 20;
    private static final Pattern WROTE = Pattern.compile("wrote (\\d+)/(\\d+) bytes at offset (\\d+)");

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private String token;
    private ChildAppliance child;

    @Test
    void shouldRefuseWhatDoesNotFitKeepWhatWasAcknowledgedAndKeepOtherGroupsServing() throws Exception {
        Clients.require("qemu-io", "stdbuf");
        child = ChildAppliance.start(dir.resolve("data"), 64 * MIB);
        token = child.createdToken();
        assertNotNull(token, child.log());
        AtomicBoolean stop = new AtomicBoolean();
        List<String> readerFailures = new CopyOnWriteArrayList<>();
        AtomicInteger readerRounds = new AtomicInteger();
        Thread reader = null;
        try {
            String lun0 = "iscsi://127.0.0.1:" + child.iscsiPort() + "/" + EmbeddedAppliance.DEFAULT_IQN + "/0";
            Clients.Result w0 = Clients.qemuIo(lun0, List.of("write -P 0x11 0 4M", "flush"));
            assertTrue(w0.mentions("wrote 4194304/4194304") && !w0.mentions("failed"), w0.toString());
            reader = new Thread(() -> {
                while (!stop.get()) {
                    long t0 = System.nanoTime();
                    try {
                        Clients.Result r = Clients.run(60, List.of("qemu-io", "-r", "-f", "raw", "-c", "read -P 0x11 0 4M", lun0));
                        long ms = (System.nanoTime() - t0) / 1_000_000;
                        if (r.exitCode() != 0 || !r.mentions("read 4194304/4194304") || r.mentions("fail")) {
                            readerFailures.add("lun0 read after " + ms + " ms: " + r);
                        } else if (ms > 30_000) {
                            readerFailures.add("lun0 read took " + ms + " ms");
                        }
                        readerRounds.incrementAndGet();
                    } catch (Exception e) {
                        readerFailures.add(String.valueOf(e));
                    }
                }
            }, "lun0-reader");
            reader.start();

            // ---- 1. pool full
            int small = group("small");
            lun("full", 1024 * MIB, small, 1);
            List<String> fill = new ArrayList<>();
            for (long off = 0; off < 1024 * MIB; off += 2 * MIB) {
                fill.add("write -P 0x" + Integer.toHexString(0x40 + (int) ((off / (2 * MIB)) % 64)) + " " + off + " 1M");
            }
            Clients.Result f = Clients.run(600, qemuIo(1, fill));
            List<Long> acked = new ArrayList<>();
            for (String l : f.lines()) {
                Matcher m = WROTE.matcher(l);
                if (m.find()) {
                    acked.add(Long.parseLong(m.group(3)));
                }
            }
            long refused = f.lines().stream().filter(l -> l.startsWith("write failed")).count();
            System.out.println("pool full: " + acked.size() + " 1 MiB writes acknowledged, " + refused + " refused; first refusal: "
                    + f.lines().stream().filter(l -> l.startsWith("write failed")).findFirst().orElse("none"));
            assertTrue(acked.size() > 10, f.toString());
            assertTrue(refused > 0, "the group filled up: " + f);
            assertTrue(f.lines().stream().filter(l -> l.startsWith("write failed"))
                    .allMatch(l -> l.contains("No space left on device")),
                    "refused as SPACE ALLOCATION FAILED: " + f);
            assertEquals(refused, f.lines().stream().filter(l -> l.contains("DATA PROTECTION(7)") && l.contains("(0x2707)")).count(),
                    "each refusal is 07/27/07: " + f);
            Clients.Result fl = Clients.run(120, qemuIo(1, List.of("flush")));
            assertTrue(!fl.mentions("failed"), "what was acknowledged has a home: " + fl);
            List<String> check = new ArrayList<>();
            for (long off : acked) {
                check.add("read -P 0x" + Integer.toHexString(0x40 + (int) ((off / (2 * MIB)) % 64)) + " " + off + " 1M");
            }
            Clients.Result v = Clients.run(600, qemuIo(1, check));
            assertEquals(acked.size(), v.count("read 1048576/1048576"), "every acknowledged write reads back: " + v);
            assertTrue(!v.mentions("failed"), v.toString());

            // ---- 2. second drive lost
            int frail = group("frail");
            lun("frail", 32 * MIB, frail, 2);
            Clients.Result a = Clients.run(120, qemuIo(2, List.of("write -P 0x21 0 4M", "flush")));
            assertTrue(a.mentions("wrote 4194304/4194304") && !a.mentions("failed"), a.toString());
            failDrive(frail, 0);
            Clients.Result b = Clients.run(120, qemuIo(2, List.of("write -P 0x22 4M 4M", "flush")));
            assertTrue(b.mentions("wrote 4194304/4194304") && !b.mentions("failed"), "degraded, still redundant enough: " + b);
            Clients.Result rb = Clients.run(120, qemuIo(2, List.of("read -P 0x21 0 4M", "read -P 0x22 4M 4M")));
            assertEquals(2, rb.count("read 4194304/4194304"), "nothing acknowledged lost while redundancy remained: " + rb);
            failDrive(frail, 1);
            long t0 = System.nanoTime();
            Clients.Result c = Clients.run(120, qemuIo(2, List.of("write -P 0x23 0 1M", "flush", "write -P 0x24 16M 1M", "flush")));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            System.out.println("after the second drive failed (" + ms + " ms): " + c);
            assertTrue(ms < 110_000, "bounded: " + ms + " ms");
            assertTrue(c.mentions("failed"), "the writes or flushes report the lost data: " + c);
            assertTrue(c.lines().stream().anyMatch(l -> l.contains("failed at lba 32768") && l.contains("DATA PROTECTION(7)")
                            && l.contains("(0x2707)")),
                    "a write to an unallocated segment of the group that lost two drives does not fit: 07/27/07: " + c);
            Clients.Result rl = Clients.run(120, qemuIo(2, List.of("read 0 1M")));
            assertTrue(rl.mentions("read failed"), "the lost range does not read stale data: " + rl);
        } finally {
            stop.set(true);
            if (reader != null) {
                reader.join(120_000);
            }
            child.stop();
        }
        System.out.println("lun0 reader: " + readerRounds.get() + " rounds, failures " + readerFailures);
        assertTrue(readerRounds.get() > 0);
        assertTrue(readerFailures.isEmpty(), String.join("\n", readerFailures));
    }

    private List<String> qemuIo(int hostLun, List<String> commands) {
        List<String> cmd = new ArrayList<>(List.of("stdbuf", "-oL", "qemu-io", "--image-opts", imageOpts(hostLun)));
        for (String c : commands) {
            cmd.add("-c");
            cmd.add(c);
        }
        return cmd;
    }

    private String imageOpts(int hostLun) {
        return "driver=iscsi,transport=tcp,portal=127.0.0.1:" + child.iscsiPort() + ",target=" + EmbeddedAppliance.DEFAULT_IQN
                + ",lun=" + hostLun + ",initiator-name=" + INITIATOR;
    }

    /** A disk group of six 64 MiB drives; returns its id. */
    private int group(String name) throws Exception {
        HttpResponse<String> g = api("POST", "/api/pool/groups", new JsonObject().put("name", name)
                .put("drives", 6).put("driveSizeBytes", 64 * MIB).encode());
        assertEquals(201, g.statusCode(), g.body());
        return new JsonObject(g.body()).getInteger("id");
    }

    private void lun(String name, long bytes, int group, int hostLun) throws Exception {
        HttpResponse<String> l = api("POST", "/api/luns", new JsonObject().put("name", name).put("sizeBytes", bytes)
                .put("raid", "RAID5").put("group", group).encode());
        assertEquals(201, l.statusCode(), l.body());
        HttpResponse<String> p = api("POST", "/api/luns/" + name + "/present",
                new JsonObject().put("initiator", INITIATOR).put("hostLun", hostLun).encode());
        assertEquals(200, p.statusCode(), p.body());
    }

    private void failDrive(int group, int drive) throws Exception {
        HttpResponse<String> r = api("POST", "/api/pool/groups/" + group + "/drives/" + drive + "/fail", null);
        assertEquals(200, r.statusCode(), r.body());
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
