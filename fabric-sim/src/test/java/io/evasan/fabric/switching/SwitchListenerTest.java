package io.evasan.fabric.switching;

import io.evasan.fabric.frame.Els.RscnPage;
import io.evasan.fabric.link.TcpLinkEnd;
import io.evasan.fabric.nport.NPort;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

import static io.evasan.fabric.frame.ElsDescriptor.ADDR_FMT_PORT;
import static io.evasan.fabric.frame.ElsDescriptor.EV_QUAL_NONE;
import static io.evasan.fabric.switching.FabricFixture.nextRscn;
import static io.evasan.fabric.switching.FabricFixture.settle;
import static org.junit.jupiter.api.Assertions.*;

class SwitchListenerTest {
    static final long HOST = 0x1000_0000_C9AA_0001L;
    static final long TARGET = 0x5000_1FE1_5000_0001L;

    @Test
    void shouldServePortsThatConnectOverTcpAndLogOutAPortWhoseConnectionCloses() throws Exception {
        FabricSwitch fabric = new FabricSwitch(3, 0x1000_0000_0000_0003L);
        fabric.activate(ZoneSet.empty("cfg").with("z", HOST, TARGET));
        try (SwitchListener listener = new SwitchListener(fabric, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            InetSocketAddress at = new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.port());
            TcpLinkEnd hostEnd = TcpLinkEnd.connect("host", at);
            NPort host = new NPort("host", HOST, HOST, hostEnd, true, false, FabricFixture.WAIT);
            host.fabricLogin();
            TcpLinkEnd targetEnd = TcpLinkEnd.connect("target", at);
            NPort target = new NPort("target", TARGET, TARGET, targetEnd, false, true, FabricFixture.WAIT);
            target.fabricLogin();
            assertEquals(0x030100, host.portId(), "domain 3, first connection");
            assertEquals(0x030200, target.portId());
            assertEquals(List.of(0x030100, 0x030200), host.gidFtFcp());
            assertTrue(host.login(target.portId()).pages().get(0).targetFunction());
            settle(host);
            host.rscns().clear();

            targetEnd.close();
            assertEquals(List.of(new RscnPage(EV_QUAL_NONE, ADDR_FMT_PORT, 0x030200)), nextRscn(host).pages());
            assertEquals(List.of(0x030100), host.gidFtFcp());
            assertFalse(fabric.ports().get(1).loggedIn());
            hostEnd.close();
        }
    }
}
