package io.evasan.iscsi;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sessions view of a portal ({@link IscsiTargetServer#sessions}): every live normal session with what its login
 * decided, none for discovery sessions, gone once its connection closes; a silent initiator shows its unanswered ping.
 */
class SessionsViewTest {
    static final String IQN = "iqn.2026-01.io.evasan:sessions-view";
    static final String CHAP_INIT = "iqn.2026-01.io.evasan:chap-user";

    @Test
    void shouldListEachLiveSessionWithItsPortalAuthenticationAndDigests() throws Exception {
        IscsiTargetServer server = new IscsiTargetServer(IscsiTargetConfig.create().port(0)
                .addTarget(IQN, null, new RamDiskScsiTarget(1 << 20))
                .chap(CHAP_INIT, "alice", "alice-secret-12", "target-bob", "bob-secret-123"));
        int port = server.start();
        try (TestInitiator plain = new TestInitiator(port); TestInitiator chap = new TestInitiator(port);
             TestInitiator discovery = new TestInitiator(port)) {
            assertEquals(0, TestInitiator.statusOf(plain.loginNormal(IQN, "HeaderDigest=CRC32C,None", "DataDigest=None")));
            chap.initiatorName = CHAP_INIT;
            chap.isid[5] = 9;
            assertEquals(0, TestInitiator.statusOf(chap.loginChap(IQN, "alice", "alice-secret-12", "bob-secret-123")));
            discovery.initiatorName = CHAP_INIT;
            discovery.isid[5] = 10;
            assertEquals(0, TestInitiator.statusOf(discovery.loginChap(null, "alice", "alice-secret-12", null)),
                    "a discovery session, not listed");
            List<IscsiSession> s = server.sessions();
            assertEquals(2, s.size(), s::toString);
            IscsiSession p = s.get(0);
            assertEquals("iqn.2026-01.io.evasan:test-initiator", p.initiatorName());
            assertEquals("801234560000", p.isid());
            assertEquals(IQN, p.targetName());
            assertTrue(p.portal().endsWith(":" + port), p.portal());
            assertTrue(p.remoteAddress().startsWith("127.0.0.1:"), p.remoteAddress());
            assertFalse(p.chap());
            assertTrue(p.headerDigest(), "CRC32C header digests negotiated");
            assertFalse(p.dataDigest());
            assertTrue(p.tsih() != 0);
            IscsiSession c = s.get(1);
            assertEquals(CHAP_INIT, c.initiatorName());
            assertEquals("801234560009", c.isid());
            assertTrue(c.chap() && c.mutualChap(), "mutual CHAP");
            assertTrue(p.loginEpochMillis() <= c.loginEpochMillis());
            plain.close();
            for (int i = 0; i < 200 && server.sessions().size() != 1; i++) {
                Thread.sleep(25);
            }
            assertEquals(List.of(CHAP_INIT), server.sessions().stream().map(IscsiSession::initiatorName).toList(),
                    "the closed session is gone");
        } finally {
            server.stop();
        }
    }

    @Test
    void shouldShowHowLongASilentInitiatorsPingHasWaited() throws Exception {
        IscsiTargetServer server = new IscsiTargetServer(IscsiTargetConfig.create().port(0)
                .addTarget(IQN, null, new RamDiskScsiTarget(1 << 20)).nopInIntervalMillis(100).nopInTimeoutMillis(60_000));
        int port = server.start();
        try (TestInitiator t = new TestInitiator(port)) {
            assertEquals(0, TestInitiator.statusOf(t.loginNormal(IQN, "HeaderDigest=None", "DataDigest=None")));
            long waited = 0;
            for (int i = 0; i < 400 && waited == 0; i++) {   // the initiator never answers: the ping stays outstanding
                Thread.sleep(25);
                waited = server.sessions().get(0).unansweredPingMillis();
            }
            assertTrue(waited > 0, "the unanswered ping shows");
        } finally {
            server.stop();
        }
    }
}
