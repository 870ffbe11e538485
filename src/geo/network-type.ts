// What kind of network an IP belongs to, from its autonomous system: `hosting` (clouds, data
// centres, CDNs, VPS providers: traffic from there is servers, proxies or VPNs, rarely a person at
// a desk), `isp` (access networks that connect homes and phones), or `business` (everything else:
// a company's, university's or public body's own network, the anonymous first hint of which
// organisation is reading). The rule, in this order (documented in docs/ingest.md):
//   1. the AS number is in HOSTING_ASNS or ISP_ASNS (a short list of the largest networks, whose
//      names do not say what they are: "Amazon.com, Inc.", "Google LLC", "Comcast Cable ..."),
//   2. the organization name matches HOSTING_NAME, then ISP_NAME,
//   3. otherwise `business`.
// A heuristic, deliberately small and readable; extend the lists here when a network is misjudged.

export type NetworkType = 'isp' | 'hosting' | 'business';

/** Cloud, hosting and CDN networks whose names alone do not say so. */
export const HOSTING_ASNS: ReadonlySet<number> = new Set(
  (
    [
      ['Amazon / AWS', [16509, 14618, 8987]],
      ['Google, Google Cloud, YouTube', [15169, 396982, 19527, 36040, 36384, 43515]],
      ['Microsoft / Azure', [8075, 8068, 8069, 12076]],
      ['Cloudflare', [13335, 209242]],
      ['DigitalOcean', [14061]],
      ['OVH', [16276]],
      ['Hetzner', [24940, 213230]],
      ['Linode (Akamai)', [63949]],
      ['Akamai', [20940, 16625, 32787, 21342]],
      ['Vultr (Choopa)', [20473]],
      ['Oracle Cloud', [31898]],
      ['IBM Cloud (SoftLayer)', [36351]],
      ['Alibaba Cloud', [45102, 37963]],
      ['Tencent Cloud', [132203, 45090]],
      ['Scaleway', [12876]],
      ['Contabo', [51167]],
      ['Leaseweb', [60781, 16265, 28753, 30633]],
      ['Fastly', [54113]],
      ['Rackspace', [27357, 19994, 33070]],
      ['GoDaddy', [26496, 398101]],
      ['Hostinger', [47583]],
      ['M247', [9009]],
      ['Datacamp (CDN77)', [212238]],
      ['FranTech / BuyVM', [53667]],
      ['Psychz', [40676]],
      ['QuadraNet', [8100]],
      ['Unified Layer (Bluehost)', [46606]],
      ['Yandex', [13238]],
      ['Latitude.sh', [396356]],
      ['IONOS', [8560]],
      ['netcup', [197540]],
    ] as const
  ).flatMap(([, asns]) => asns),
);

/** Access networks (home broadband, mobile) whose names alone do not say so. */
export const ISP_ASNS: ReadonlySet<number> = new Set(
  (
    [
      ['Comcast', [7922, 33651, 33668, 7015, 7725, 20214]],
      ['Verizon', [701, 6167, 22394]],
      ['AT&T', [7018, 20057]],
      ['Charter / Spectrum', [20115, 11427, 10796, 11426, 12271, 33363, 33588]],
      ['Cox', [22773]],
      ['T-Mobile US', [21928]],
      ['Frontier', [5650]],
      ['CenturyLink / Lumen', [209]],
      ['Deutsche Telekom', [3320]],
      ['Orange France', [3215]],
      ['BT', [2856]],
      ['Virgin Media', [5089]],
      ['Free (Iliad)', [12322]],
      ['SFR', [15557]],
      ['Bouygues Telecom', [5410]],
      ['Telefonica Spain', [3352]],
      ['Telecom Italia', [3269]],
      ['KPN', [1136]],
      ['Liberty Global', [6830]],
      ['Rogers', [812]],
      ['Bell Canada', [577]],
      ['Telus', [852]],
      ['China Telecom, Unicom, Mobile', [4134, 4837, 9808, 4812, 17621]],
      ['NTT OCN, KDDI, SoftBank', [4713, 2516, 17676]],
      ['KT, SK Broadband', [4766, 9318]],
      ['Reliance Jio, Airtel, BSNL', [55836, 45609, 9829, 24560]],
      ['Rostelecom, MTS, Beeline', [12389, 8359, 3216]],
      ['TPG, Telstra', [7545, 1221]],
      ['Claro, Vivo', [28573, 26599, 18881]],
      ['Telmex', [8151]],
      ['Turk Telekom', [9121]],
    ] as const
  ).flatMap(([, asns]) => asns),
);

// Order matters only between the two patterns: a name matching both ("XYZ Cloud Telecom") is hosting.
const HOSTING_NAME =
  /host|cloud|data ?cent(?:er|re)|datacenter|\bserver|\bvps\b|colo(?:cation|crossing)|\bcdn\b|amazon|\baws\b|google|microsoft|azure|digitalocean|\bovh|hetzner|linode|akamai|vultr|choopa|leaseweb|contabo|scaleway|alibaba|tencent|oracle|softlayer|rackspace|fastly|cloudflare|\bm247\b|datacamp|frantech|psychz|quadranet|ionos|godaddy|namecheap|hostinger|dedicated|virtual private|\bvpn\b|proxy|\bcdn77\b|edgecast|limelight|zenlayer|kamatera|upcloud|ecatel|serverius|nforce|worldstream|hostwinds|\bfiberhub|\bselectel|timeweb|\breg\.ru/i;
const ISP_NAME =
  /telecom|telekom|telecomunica|telefon|\btelco\b|communications?\b|broadband|\bcable\b|cablevision|mobile|wireless|cellular|\bgsm\b|\blte\b|\bdsl\b|fib(?:er|re)|\bftth\b|internet service|\bisp\b|vodafone|\borange\b(?! county)|comcast|verizon|at&t|charter|spectrum|t-mobile|sprint|telstra|telia|telenor|tele2|swisscom|proximus|ziggo|\bkpn\b|bouygues|\bsfr\b|fastweb|movistar|claro|\bvivo\b|telmex|rostelecom|beeline|megafon|airtel|bharti|\bjio\b|vodacom|\bmtn\b|chinanet|china (?:telecom|unicom|mobile)|\bntt\b|kddi|softbank|virgin media|\bsky\b|rogers|bell canada|\bbell (?:aliant|mobility)|telus|\bshaw (?:communications|cablesystems)|\bcox\b|frontier|centurylink|\bbsnl\b|\bptcl\b|\bviettel\b|\bvnpt\b|\bpldt\b|\btelkom\b|\bindosat\b|\bdigi\b|\bnetcom\b|\bnetia\b|\bcosmote\b|\bturkcell\b|\bstc\b|\bzain\b|\betisalat\b/i;

export function networkType(asn: number, org: string | null): NetworkType {
  if (HOSTING_ASNS.has(asn)) return 'hosting';
  if (ISP_ASNS.has(asn)) return 'isp';
  if (org) {
    if (HOSTING_NAME.test(org)) return 'hosting';
    if (ISP_NAME.test(org)) return 'isp';
  }
  return 'business';
}
