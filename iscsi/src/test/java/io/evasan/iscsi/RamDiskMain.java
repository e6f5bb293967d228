package io.evasan.iscsi;

/** Manual test entry: serves a RAM disk on the given port. */
public final class RamDiskMain {
    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 3260;
        IscsiTargetConfig cfg = IscsiTargetConfig.create().port(port)
                .addTarget("iqn.2026-01.io.evasan:test", "test", new RamDiskScsiTarget(64 << 20))
                .chap("iqn.2026-01.io.evasan:chap-initiator", "chapuser", "chapsecret1234", "tgtuser", "tgtsecret5678");
        IscsiTargetServer s = new IscsiTargetServer(cfg);
        System.out.println("listening on " + s.start());
        Thread.currentThread().join();
    }
}
