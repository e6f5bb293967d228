package io.evasan.fabric.switching;

import io.evasan.fabric.frame.BlsDescriptor;
import io.evasan.fabric.frame.CtDescriptor;
import io.evasan.fabric.frame.Els;
import io.evasan.fabric.frame.Els.Login;
import io.evasan.fabric.frame.Els.LsRjt;
import io.evasan.fabric.frame.Els.RscnPage;
import io.evasan.fabric.frame.ElsDescriptor;
import io.evasan.fabric.frame.EncapsulationDescriptor;
import io.evasan.fabric.frame.FcpDescriptor;
import io.evasan.fabric.frame.Frame;
import io.evasan.fabric.frame.FrameHeader;
import io.evasan.fabric.frame.LoginDescriptor;
import io.evasan.fabric.frame.NameServerDescriptor;
import io.evasan.fabric.frame.NameServerDescriptor.PortEntry;
import io.evasan.fabric.frame.PrliDescriptor;
import io.evasan.fabric.nport.NPort;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static io.evasan.fabric.frame.ElsDescriptor.*;
import static io.evasan.fabric.frame.FrameHeaderDescriptor.*;
import static io.evasan.fabric.switching.FabricFixture.nextRscn;
import static io.evasan.fabric.switching.FabricFixture.settle;
import static org.junit.jupiter.api.Assertions.*;

class FabricSwitchTest {
    static final long HOST = 0x1000_0000_C9AA_0001L;
    static final long TARGET = 0x5000_1FE1_5000_0001L;
    static final long OUTSIDER = 0x1000_0000_C9BB_0002L;

    static ZoneSet hostAndTarget() {
        return ZoneSet.empty("cfg1").with("z_host_target", HOST, TARGET);
    }

    /** Host, target and outsider on switch ports 1, 2, 3, each logged in to the fabric as libfc does. */
    static NPort[] hostTargetOutsider(FabricFixture fx) throws Exception {
        NPort[] ports = {fx.port("host", HOST, true, false), fx.port("target", TARGET, false, true),
            fx.port("outsider", OUTSIDER, true, false)};
        for (NPort p : ports) {
            p.fabricLogin();
        }
        return ports;
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldAssignNPortIdsAtFlogiAndLogInLikeLibfc(boolean tcp) throws Exception {
        try (FabricFixture fx = new FabricFixture(tcp)) {
            fx.fabric.activate(hostAndTarget());
            NPort host = fx.port("host", HOST, true, false);
            NPort target = fx.port("target", TARGET, false, true);
            Frame flogiAcc = host.exchange(new Frame(FrameHeader.request(R_CTL_ELS_REQ, TYPE_ELS, 0, FID_FLOGI, 7),
                    Login.flogi(HOST, HOST, 2048).encode()));
            assertEquals(0x010100, flogiAcc.header().dId(), "domain 1, area 1, port 0");
            assertEquals(FID_FLOGI, flogiAcc.header().sId());
            Login acc = (Login) Els.decodeReply(FLOGI, flogiAcc.payload());
            assertEquals(LS_ACC, acc.command());
            assertTrue((acc.features() & LoginDescriptor.FT_FPORT) != 0, "the answer comes from an F_Port");
            assertEquals(10_000, acc.word2(), "R_A_TOV");
            assertEquals(FabricFixture.SWITCH_WWN, acc.wwnn());

            host.fabricLogin();
            target.fabricLogin();
            assertEquals(0x010100, host.portId());
            assertEquals(0x010200, target.portId());
            NameServer.Entry t = fx.fabric.nameServerEntries().get(1);
            assertEquals(TARGET, t.wwpn());
            assertTrue(t.fc4Types().get(TYPE_FCP));
            assertEquals(NameServerDescriptor.FCP_FEAT_TARG, t.fc4Features().get(TYPE_FCP));
            assertEquals("target", t.symbolicName());

            assertEquals(List.of(0x010100, 0x010200), host.gidFtFcp());
            Els.Prli prli = host.login(target.portId());
            Els.ServicePage page = prli.pages().get(0);
            assertEquals(PrliDescriptor.SPP_RESP_ACK, page.responseCode());
            assertTrue(page.targetFunction());
            assertFalse(page.initiatorFunction());
            assertEquals(List.of(new FabricSwitch.PortView(1, true, true, 0x010100, HOST, HOST | 0x0100_0000_0000_0000L, true),
                    new FabricSwitch.PortView(2, true, true, 0x010200, TARGET, TARGET | 0x0100_0000_0000_0000L, true)),
                    fx.fabric.ports());
        }
    }

    @Test
    void shouldAnswerNameServerQueriesWithZonedPortsOnly() throws Exception {
        try (FabricFixture fx = new FabricFixture(false)) {
            fx.fabric.activate(hostAndTarget().with("z_outsider_alone", OUTSIDER));
            NPort[] ports = hostTargetOutsider(fx);
            NPort host = ports[0];
            NPort target = ports[1];
            NPort outsider = ports[2];
            int t = target.portId();

            assertEquals(List.of(host.portId(), t), host.gidFtFcp());
            assertEquals(TARGET, NameServerDescriptor.decodeNameAccept(host.nameServer(new NameServerDescriptor.GpnId(t)).body()));
            assertEquals(TARGET | 0x0100_0000_0000_0000L,
                    NameServerDescriptor.decodeNameAccept(host.nameServer(new NameServerDescriptor.GnnId(t)).body()));
            assertEquals(t, NameServerDescriptor.decodePortIdAccept(host.nameServer(new NameServerDescriptor.GidPn(TARGET)).body()));
            assertEquals(List.of(new PortEntry(host.portId(), HOST), new PortEntry(t, TARGET)),
                    NameServerDescriptor.decodeGpnFtAccept(host.nameServer(new NameServerDescriptor.GpnFt(TYPE_FCP)).body()));

            assertEquals(List.of(outsider.portId()), outsider.gidFtFcp(), "the outsider sees only itself");
            assertReject(outsider.nameServer(new NameServerDescriptor.GpnId(t)), CtDescriptor.EXP_PID);
            assertReject(outsider.nameServer(new NameServerDescriptor.GnnId(t)), CtDescriptor.EXP_PID);
            assertReject(outsider.nameServer(new NameServerDescriptor.GidPn(TARGET)), CtDescriptor.EXP_PNAM);
            assertEquals(List.of(new PortEntry(outsider.portId(), OUTSIDER)),
                    NameServerDescriptor.decodeGpnFtAccept(outsider.nameServer(new NameServerDescriptor.GpnFt(TYPE_FCP)).body()));
            assertReject(outsider.nameServer(new NameServerDescriptor.GpnId(0x01FF00)), CtDescriptor.EXP_PID);
        }
    }

    static void assertReject(NPort.CtAnswer a, int explanation) {
        assertTrue(a.header().isReject(), a.header().toString());
        assertEquals(CtDescriptor.RJT_UNABL, a.header().reason());
        assertEquals(explanation, a.header().explanation());
    }

    @Test
    void shouldNeverLetAPortOutsideEveryZoneReachTheTargetEvenWithHandMadeFrames() throws Exception {
        try (FabricFixture fx = new FabricFixture(false)) {
            fx.fabric.activate(hostAndTarget());
            NPort[] ports = hostTargetOutsider(fx);
            NPort host = ports[0];
            NPort target = ports[1];
            NPort outsider = ports[2];
            int t = target.portId();
            int o = outsider.portId();
            assertEquals(List.of(o), outsider.gidFtFcp(), "GID_FT does not list the target");

            Els toTarget = outsider.els(t, Login.plogi(OUTSIDER, OUTSIDER, 2048, 2000));
            Els toNobody = outsider.els(0x01FF00, Login.plogi(OUTSIDER, OUTSIDER, 2048, 2000));
            assertEquals(new LsRjt(RJT_UNAB, EXPL_NONE), toTarget, "PLOGI refused by the switch");
            assertEquals(toNobody, toTarget, "indistinguishable from a port that does not exist");

            // hand-made frames: PRLI, FCP_CMND (READ(10) of LUN 0), FCP_DATA and ABTS straight at the target
            Els prli = outsider.els(t, new Els.Prli(PRLI, List.of(Els.ServicePage.fcp(true, false))));
            assertEquals(new LsRjt(RJT_UNAB, EXPL_NONE), prli);
            byte[] read10 = {0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0};
            outsider.sendRaw(EncapsulationDescriptor.encode(new Frame(FrameHeader.request(R_CTL_DD_UNSOL_CMD, TYPE_FCP, o, t,
                    outsider.nextOxId()), FcpDescriptor.Cmnd.scsi(0, read10, true, false, 512).encode())));
            outsider.sendRaw(EncapsulationDescriptor.encode(new Frame(FrameHeader.request(R_CTL_DD_SOL_DATA, TYPE_FCP, o, t,
                    outsider.nextOxId()), new byte[512])));
            Frame abts = outsider.exchange(new Frame(FrameHeader.request(R_CTL_BA_ABTS, TYPE_BLS, o, t, outsider.nextOxId()),
                    new byte[0]));
            assertEquals(R_CTL_BA_RJT, abts.header().rCtl());
            assertEquals(new BlsDescriptor.BaRjt(BlsDescriptor.RJT_UNABLE, BlsDescriptor.RJT_EXP_NONE),
                    BlsDescriptor.BaRjt.decode(abts.payload()));
            // borrowing the zoned host's N_Port ID as S_ID
            Frame spoofed = outsider.exchange(new Frame(FrameHeader.request(R_CTL_ELS_REQ, TYPE_ELS, host.portId(), t,
                    outsider.nextOxId()), Login.plogi(HOST, HOST, 2048, 2000).encode()));
            assertEquals(new LsRjt(RJT_LOGIC, EXPL_SID), Els.decodeReply(PLOGI, spoofed.payload()));

            // the zoned host's PLOGI gets through; everything the target saw before it came from the switch
            host.login(t);
            settle(target);
            for (Frame f : target.received()) {
                assertNotEquals(o, f.header().sId(), "the target received " + f);
                assertTrue(f.header().sId() == host.portId() || f.header().sId() >= 0xFFFFF0, "from " + f);
            }
            assertTrue(target.received().stream().anyMatch(f -> f.header().sId() == host.portId()
                    && f.header().rCtl() == R_CTL_ELS_REQ), "the host's PLOGI did arrive");
            assertTrue(fx.fabric.drops(FabricSwitch.Drop.NOT_ZONED) >= 5);
            assertTrue(fx.fabric.drops(FabricSwitch.Drop.WRONG_S_ID) >= 1);
        }
    }

    @Test
    void shouldSendRscnToRegisteredPortsWhenZoningChanges() throws Exception {
        try (FabricFixture fx = new FabricFixture(false)) {
            fx.fabric.activate(ZoneSet.empty("cfg0").with("z_host", HOST).with("z_target", TARGET));
            NPort host = fx.port("host", HOST, true, false);
            NPort target = fx.port("target", TARGET, false, true);
            host.fabricLogin();
            target.fabricLogin();
            assertEquals(new LsRjt(RJT_UNAB, EXPL_NONE), host.els(target.portId(), Login.plogi(HOST, HOST, 2048, 2000)));
            assertEquals(List.of(host.portId()), host.gidFtFcp());
            settle(host);
            settle(target);
            host.rscns().clear();
            target.rscns().clear();

            fx.fabric.activate(hostAndTarget());
            RscnPage fabricPage = new RscnPage(EV_QUAL_NONE, ADDR_FMT_FAB, 0);
            assertEquals(List.of(fabricPage), nextRscn(host).pages());
            assertEquals(List.of(fabricPage), nextRscn(target).pages());
            assertEquals(List.of(host.portId(), target.portId()), host.gidFtFcp(), "rediscovery finds the target");
            host.login(target.portId());

            fx.fabric.deactivate();
            assertEquals(List.of(fabricPage), nextRscn(host).pages());
            assertEquals(new LsRjt(RJT_UNAB, EXPL_NONE), host.els(target.portId(), Login.plogi(HOST, HOST, 2048, 2000)),
                    "no active zone set: nothing is zoned");
        }
    }

    @Test
    void shouldLetEveryPortReachEveryOtherUnderAnAllAccessDefaultZoneUntilAZoneSetIsActivated() throws Exception {
        try (FabricFixture fx = new FabricFixture(false)) {
            assertEquals(FabricSwitch.DefaultZone.NO_ACCESS, fx.fabric.defaultZone(), "a bare switch zones nothing");
            NPort[] p = hostTargetOutsider(fx);
            NPort host = p[0];
            NPort target = p[1];
            NPort outsider = p[2];
            settle(host);
            host.rscns().clear();
            fx.fabric.defaultZone(FabricSwitch.DefaultZone.ALL_ACCESS);
            assertEquals(List.of(new RscnPage(EV_QUAL_NONE, ADDR_FMT_FAB, 0)), nextRscn(host).pages());
            assertEquals(List.of(host.portId(), target.portId(), outsider.portId()), outsider.gidFtFcp());
            outsider.login(target.portId());

            fx.fabric.activate(hostAndTarget());
            assertEquals(new LsRjt(RJT_UNAB, EXPL_NONE), outsider.els(target.portId(), Login.plogi(OUTSIDER, OUTSIDER, 2048, 2000)),
                    "an active zone set decides alone");
            assertEquals(List.of(outsider.portId()), outsider.gidFtFcp());
            host.login(target.portId());

            fx.fabric.deactivate();
            assertEquals(List.of(host.portId(), target.portId(), outsider.portId()), outsider.gidFtFcp(),
                    "back to the default zone");
        }
    }

    @Test
    void shouldLogOutAPortWhoseLinkIsLostAndTellZonedPorts() throws Exception {
        try (FabricFixture fx = new FabricFixture(false)) {
            fx.fabric.activate(hostAndTarget());
            NPort[] ports = hostTargetOutsider(fx);
            NPort host = ports[0];
            NPort target = ports[1];
            NPort outsider = ports[2];
            int t = target.portId();
            settle(host);
            settle(outsider);
            host.rscns().clear();
            outsider.rscns().clear();

            fx.links.get(1).down();
            RscnPage targetPage = new RscnPage(EV_QUAL_NONE, ADDR_FMT_PORT, t);
            assertEquals(List.of(targetPage), nextRscn(host).pages());
            assertEquals(List.of(host.portId()), host.gidFtFcp());
            assertTrue(fx.fabric.nameServerEntries().stream().noneMatch(e -> e.wwpn() == TARGET));
            assertFalse(fx.fabric.ports().get(1).loggedIn());
            assertFalse(fx.fabric.ports().get(1).linkUp());
            settle(outsider);
            assertTrue(outsider.rscns().isEmpty(), "not zoned with the target: no RSCN about it");

            fx.links.get(1).up();
            target.fabricLogin();
            assertEquals(t, target.portId(), "same switch port, same N_Port ID");
            // FLOGI, then RFT_ID and RFF_ID (name server object changes) each announce the target
            assertEquals(List.of(targetPage), nextRscn(host).pages());
            assertEquals(List.of(host.portId(), t), host.gidFtFcp());
        }
    }

    @Test
    void shouldSendRscnOnLogout() throws Exception {
        try (FabricFixture fx = new FabricFixture(false)) {
            fx.fabric.activate(hostAndTarget());
            NPort host = fx.port("host", HOST, true, false);
            NPort target = fx.port("target", TARGET, false, true);
            host.fabricLogin();
            target.fabricLogin();
            int t = target.portId();
            settle(host);
            host.rscns().clear();
            assertEquals(new Els.LsAcc(), target.els(FID_FLOGI, new Els.Logo(t, TARGET)));
            assertEquals(List.of(new RscnPage(EV_QUAL_NONE, ADDR_FMT_PORT, t)), nextRscn(host).pages());
            assertEquals(List.of(host.portId()), host.gidFtFcp());
            assertFalse(fx.fabric.ports().get(1).loggedIn());
            assertTrue(fx.fabric.ports().get(1).linkUp());
        }
    }

    @Test
    void shouldAnswerMalformedAndMisdirectedRequestsWithThePreciseRejectAndKeepWorking() throws Exception {
        try (FabricFixture fx = new FabricFixture(false)) {
            fx.fabric.activate(hostAndTarget());
            NPort host = fx.port("host", HOST, true, false);
            NPort target = fx.port("target", TARGET, false, true);

            // before FLOGI only FLOGI gets through
            assertEquals(new LsRjt(RJT_LOGIC, EXPL_NONE), host.els(FID_DIR_SERV, Login.plogi(HOST, HOST, 2048, 2000)));
            host.flogi();
            int h = host.portId();
            // a CT request before PLOGI to the directory server
            assertEquals(CtDescriptor.RJT_LOG, host.nameServer(new NameServerDescriptor.GidFt(8)).header().reason());
            assertEquals(LS_ACC, host.els(FID_DIR_SERV, Login.plogi(HOST, HOST, 2048, 2000)).command());
            // unknown ELS code, truncated SCR, OX_ID FFFFh, FDISC, PRLI to the fabric controller
            assertEquals(new LsRjt(RJT_UNSUP, EXPL_NONE), elsRaw(host, FID_FCTRL, new byte[] {(byte) 0x99, 0, 0, 0}, host.nextOxId()));
            assertEquals(new LsRjt(RJT_PROT, EXPL_INV_LEN), elsRaw(host, FID_FCTRL, new byte[] {SCR, 0, 0, 0}, host.nextOxId()));
            Frame noOx = host.exchange(new Frame(FrameHeader.request(R_CTL_ELS_REQ, TYPE_ELS, h, FID_FCTRL, XID_UNKNOWN),
                    new Els.Scr(SCRF_FULL).encode()));
            assertEquals(new LsRjt(RJT_PROT, EXPL_OXID_RXID), Els.decodeReply(SCR, noOx.payload()));
            assertEquals(new LsRjt(RJT_UNSUP, EXPL_NONE), host.els(FID_FLOGI, Login.flogi(HOST, HOST, 2048).as(FDISC)));
            assertEquals(new LsRjt(RJT_UNSUP, EXPL_NONE),
                    host.els(FID_FCTRL, new Els.Prli(PRLI, List.of(Els.ServicePage.fcp(true, false)))));
            // ABTS of an exchange the directory server does not have
            Frame ba = host.exchange(new Frame(FrameHeader.request(R_CTL_BA_ABTS, TYPE_BLS, h, FID_DIR_SERV, 0x4321),
                    new byte[0]));
            assertEquals(new BlsDescriptor.BaRjt(BlsDescriptor.RJT_LOG_ERR, BlsDescriptor.RJT_EXP_INV_XID),
                    BlsDescriptor.BaRjt.decode(ba.payload()));
            // CT: bad revision, unknown command, short body, another port's registration, RFF_ID before RFT_ID
            byte[] badRev = new NameServerDescriptor.GidFt(8).encode();
            badRev[0] = 2;
            assertEquals(CtDescriptor.RJT_VER, ctRaw(host, badRev).reason());
            byte[] unknown = CtDescriptor.Header.nameServerRequest(0x0199).with(new byte[4]);
            assertEquals(CtDescriptor.RJT_CMD, ctRaw(host, unknown).reason());
            byte[] shortBody = CtDescriptor.Header.nameServerRequest(NameServerDescriptor.GID_FT).with(new byte[2]);
            assertEquals(CtDescriptor.RJT_IUSIZ, ctRaw(host, shortBody).reason());
            assertEquals(CtDescriptor.EXP_PID,
                    host.nameServer(new NameServerDescriptor.RnnId(0x010200, 5)).header().explanation());
            assertEquals(CtDescriptor.EXP_FTNR,
                    host.nameServer(new NameServerDescriptor.RffId(h, NameServerDescriptor.FCP_FEAT_INIT, TYPE_FCP))
                            .header().explanation());
            // bytes that are not a frame at all: bad CRC, bad R_CTL
            byte[] bad = EncapsulationDescriptor.encode(new Frame(FrameHeader.request(R_CTL_ELS_REQ, TYPE_ELS, h, FID_FCTRL, 9),
                    new Els.Scr(SCRF_FULL).encode()));
            bad[bad.length - 9] ^= 1;
            host.sendRaw(bad);
            // a second port claiming the same WWPN
            NPort twin = fx.port("twin", HOST, true, false);
            assertThrows(io.evasan.fabric.nport.NPortException.class, twin::flogi);

            // and the switch still serves everyone
            target.fabricLogin();
            host.fabricLogin();
            assertEquals(List.of(host.portId(), target.portId()), host.gidFtFcp());
            assertEquals(4, fx.fabric.drops(FabricSwitch.Drop.MALFORMED), "unknown ELS, short SCR, OX_ID FFFFh, bad CRC");
        }
    }

    @Test
    void shouldTimeOutAnExchangeWhoseFrameIsLostAndWorkOnTheRetry() throws Exception {
        try (FabricFixture fx = new FabricFixture(false)) {
            fx.fabric.activate(hostAndTarget());
            io.evasan.fabric.link.InMemoryLink link = new io.evasan.fabric.link.InMemoryLink("lossy");
            fx.links.add(link);
            NPort host = new NPort("host", HOST, HOST, link.a(), true, false, FabricFixture.WAIT);
            fx.fabric.attach(link.b());
            host.fabricLogin();
            // the lost exchanges wait briefly (their frames are gone for certain); the others wait long
            link.faults(io.evasan.fabric.link.Link.Direction.A_TO_B).dropNext(1);
            host.timeout(java.time.Duration.ofMillis(200));
            assertThrows(io.evasan.fabric.nport.NPortException.class, () -> host.els(FID_FCTRL, new Els.Scr(SCRF_FULL)),
                    "the SCR never reached the switch");
            host.timeout(FabricFixture.WAIT);
            assertEquals(new Els.LsAcc(), host.els(FID_FCTRL, new Els.Scr(SCRF_FULL)), "a new exchange goes through");
            link.faults(io.evasan.fabric.link.Link.Direction.B_TO_A).dropNext(1);
            host.timeout(java.time.Duration.ofMillis(200));
            assertThrows(io.evasan.fabric.nport.NPortException.class, () -> host.gidFtFcp(), "the answer was lost");
            host.timeout(FabricFixture.WAIT);
            assertEquals(List.of(host.portId()), host.gidFtFcp());
            assertEquals(1, link.faults(io.evasan.fabric.link.Link.Direction.A_TO_B).dropped());
        }
    }

    static Els elsRaw(NPort p, int dId, byte[] payload, int ox) throws Exception {
        Frame f = p.exchange(new Frame(FrameHeader.request(R_CTL_ELS_REQ, TYPE_ELS, p.portId(), dId, ox), payload));
        return Els.decodeReply(payload[0] & 0xFF, f.payload());
    }

    static CtDescriptor.Header ctRaw(NPort p, byte[] ct) throws Exception {
        Frame f = p.exchange(new Frame(FrameHeader.request(R_CTL_DD_UNSOL_CTL, TYPE_CT, p.portId(), FID_DIR_SERV,
                p.nextOxId()), ct));
        return CtDescriptor.Header.decode(f.payload());
    }
}
