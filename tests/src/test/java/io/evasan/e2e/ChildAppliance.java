package io.evasan.e2e;

import io.evasan.deploy.FreePorts;
import io.evasan.raid.ChildJvm;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The appliance launcher ({@code io.evasan.deploy.Appliance}) in a child JVM with the tests' classpath,
 * its iSCSI portal and management API on free loopback ports. On the first start of a data directory
 * the launcher prints the admin API token once; {@link #createdToken()} returns it (null on later
 * starts, where the caller keeps the first one).
 *
 * <p>Invariant: {@link #start} returns only once the child printed {@code evasan: running}, so both
 * ports are listening; {@link #kill9()} is SIGKILL (no shutdown hook runs). The child is the shared crash
 * harness's {@link ChildJvm}; its output goes to {@code <data>-child.out} next to the data directory (the
 * token in it is masked in {@link #log()}).
 */
final class ChildAppliance {
    private static final Pattern TOKEN = Pattern.compile("management API token \\(shown once[^)]*\\): (\\S+)");

    private final ChildJvm process;
    private final int iscsiPort;
    private final int mgmtPort;
    private final String createdToken;

    private ChildAppliance(ChildJvm process, int iscsiPort, int mgmtPort, String createdToken) {
        this.process = process;
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
        int iscsi = FreePorts.freePortBlock(4);   // the cell's four portals: iscsi .. iscsi + 3
        int mgmt = FreePorts.freePort();
        while (mgmt >= iscsi && mgmt < iscsi + 4) {
            mgmt = FreePorts.freePort();
        }
        // a patient heartbeat: a loaded build machine must not make the controllers take each other over
        List<String> args = new ArrayList<>(List.of("--data-dir=" + data, "--iscsi-port=" + iscsi,
                "--mgmt-port=" + mgmt, "--fabric-port=0", "--heartbeat-timeout-ms=5000",
                "--first-lun-size=" + firstLunBytes));
        args.addAll(options);
        ChildJvm child = ChildJvm.of("io.evasan.deploy.Appliance").heap("768m").args(args.toArray(String[]::new))
                .output(data.resolveSibling(data.getFileName() + "-child.out")).mergeStderr().start();
        if (!child.awaitLine(l -> l.startsWith("evasan: running"), 120_000)) {
            child.close();
            throw new AssertionError("appliance did not start: " + masked(child.lines()));
        }
        String token = null;
        for (String l : child.lines()) {
            Matcher m = TOKEN.matcher(l);
            if (m.find()) {
                token = m.group(1);
            }
        }
        return new ChildAppliance(child, iscsi, mgmt, token);
    }

    private static String masked(List<String> lines) {
        StringBuilder b = new StringBuilder();
        for (String l : lines) {
            Matcher m = TOKEN.matcher(l);
            b.append(b.length() == 0 ? "" : "\n").append(m.find() ? l.substring(0, m.start(1)) + "<token>" : l);
        }
        return b.toString();
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
        return masked(process.lines());
    }

    /** SIGKILL: no shutdown hook runs. */
    void kill9() throws InterruptedException {
        process.kill9();
        process.close();
    }

    /** SIGTERM: clean shutdown through the hook. */
    void stop() throws InterruptedException {
        process.stop();
        process.close();
    }
}
