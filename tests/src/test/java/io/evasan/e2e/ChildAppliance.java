package io.evasan.e2e;

import io.evasan.raid.JvmFlags;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The appliance launcher ({@code io.evasan.deploy.Appliance}) in a child JVM with the tests' classpath,
 * its iSCSI portal and management API on free loopback ports. On the first start of a data directory
 * the launcher prints the admin API token once; {@link #createdToken()} returns it (null on later
 * starts, where the caller keeps the first one).
 *
 * <p>Invariant: {@link #start} returns only once the child printed {@code evasan: running}, so both
 * ports are listening; {@link #kill9()} is SIGKILL (no shutdown hook runs).
 */
final class ChildAppliance {
    private static final Pattern TOKEN = Pattern.compile("management API token \\(shown once[^)]*\\): (\\S+)");

    private final Process process;
    private final List<String> log;
    private final int iscsiPort;
    private final int mgmtPort;
    private final String createdToken;

    private ChildAppliance(Process process, List<String> log, int iscsiPort, int mgmtPort, String createdToken) {
        this.process = process;
        this.log = log;
        this.iscsiPort = iscsiPort;
        this.mgmtPort = mgmtPort;
        this.createdToken = createdToken;
    }

    /** Starts the appliance over {@code data} (first start creates the default pool with a first LUN of {@code firstLunBytes}). */
    static ChildAppliance start(Path data, long firstLunBytes) throws Exception {
        return start(data, firstLunBytes, List.of());
    }

    /** As {@link #start(Path, long)}, with further launcher options (e.g. {@code --bgcopy-rate=N}) appended. */
    static ChildAppliance start(Path data, long firstLunBytes, List<String> options) throws Exception {
        int iscsi = Clients.freePort();
        int mgmt = Clients.freePort();
        while (mgmt == iscsi) {
            mgmt = Clients.freePort();
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx768m");
        cmd.add(JvmFlags.ARG_FILE);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("io.evasan.deploy.Appliance");
        cmd.add("--data-dir=" + data);
        cmd.add("--iscsi-port=" + iscsi);
        cmd.add("--mgmt-port=" + mgmt);
        cmd.add("--first-lun-size=" + firstLunBytes);
        cmd.addAll(options);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        CountDownLatch running = new CountDownLatch(1);
        List<String> log = Collections.synchronizedList(new ArrayList<>());
        String[] token = new String[1];
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String l;
                while ((l = r.readLine()) != null) {
                    Matcher m = TOKEN.matcher(l);
                    if (m.find()) {
                        synchronized (token) {
                            token[0] = m.group(1);
                        }
                        l = l.substring(0, m.start(1)) + "<token>";
                    }
                    log.add(l);
                    if (l.startsWith("evasan: running")) {
                        running.countDown();
                    }
                }
            } catch (IOException ignored) {
                // child gone
            }
        }, "appliance-child-log");
        t.setDaemon(true);
        t.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!running.await(200, TimeUnit.MILLISECONDS)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                p.destroyForcibly();
                t.join(2000);
                throw new AssertionError("appliance did not start: " + String.join("\n", log));
            }
        }
        synchronized (token) {
            return new ChildAppliance(p, log, iscsi, mgmt, token[0]);
        }
    }

    int iscsiPort() {
        return iscsiPort;
    }

    int mgmtPort() {
        return mgmtPort;
    }

    /** The admin token printed on this start (only the first start of a data directory prints one), else null. */
    String createdToken() {
        return createdToken;
    }

    /** The child's output so far (the token masked). */
    String log() {
        synchronized (log) {
            return String.join("\n", log);
        }
    }

    /** SIGKILL: no shutdown hook runs. */
    void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** SIGTERM: clean shutdown through the hook. */
    void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor();
        }
    }
}
