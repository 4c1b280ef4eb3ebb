import pytest
from nameko.standalone.rpc import ClusterRpcProxy

pytestmark = pytest.mark.broker


@pytest.fixture
def rpc(service_config):
    with ClusterRpcProxy(service_config, timeout=15) as proxy:
        yield proxy
