"""Named values of the enumerated lists used by OpenRTB 2.6.

2.6 takes most of its lists from AdCOM 1.0, and its no-bid and loss reason lists from OpenRTB
3.0 (those two live in :mod:`openbid.openrtb.nobid` and are re-exported here). Model fields stay
plain ``int``: these classes name known values, they do not restrict what is accepted. Most lists
reserve 500+ for exchange- or vendor-specific values.
"""

from __future__ import annotations

from enum import IntEnum

from openbid.openrtb.nobid import LossReason, NoBidReason

__all__ = [
    "SSAI",
    "APIFramework",
    "AdPosition",
    "AgentType",
    "AuctionType",
    "AutoRefreshTrigger",
    "BannerAdType",
    "CategoryTaxonomy",
    "CompanionType",
    "ConnectionType",
    "ContentContext",
    "CreativeAttribute",
    "DOOHMultiplierSourceType",
    "DeliveryMethod",
    "DeviceType",
    "ExpandableDirection",
    "FeedType",
    "IPLocationService",
    "LinearityMode",
    "LocationType",
    "LossReason",
    "MarkupType",
    "MatchMethod",
    "MediaRating",
    "NoBidReason",
    "PlaybackCessationMode",
    "PlaybackMethod",
    "PodSequence",
    "ProductionQuality",
    "Protocol",
    "SlotPositionInPod",
    "StartDelay",
    "UserAgentSource",
    "VideoPlacement",
    "VideoPlacementType",
    "VolumeNormalizationMode",
]


class AuctionType(IntEnum):
    """``BidRequest.at`` and ``Deal.at``; 500+ exchange-specific."""

    FIRST_PRICE = 1
    SECOND_PRICE_PLUS = 2
    FIXED_PRICE = 3  # deal only: the deal's bidfloor is the agreed price


class BannerAdType(IntEnum):
    """``Banner.btype`` (blocked banner ad types)."""

    XHTML_TEXT = 1
    XHTML_BANNER = 2
    JAVASCRIPT = 3
    IFRAME = 4


class CreativeAttribute(IntEnum):
    """``battr`` / ``Bid.attr`` (AdCOM Creative Attributes)."""

    AUDIO_AUTOPLAY = 1
    AUDIO_USER_INITIATED = 2
    EXPANDABLE_AUTOMATIC = 3
    EXPANDABLE_CLICK = 4
    EXPANDABLE_ROLLOVER = 5
    IN_BANNER_VIDEO_AUTOPLAY = 6
    IN_BANNER_VIDEO_USER_INITIATED = 7
    POP = 8
    PROVOCATIVE = 9
    EXTREME_ANIMATION = 10
    SURVEYS = 11
    TEXT_ONLY = 12
    USER_INTERACTIVE = 13
    WINDOWS_DIALOG = 14
    HAS_AUDIO_TOGGLE = 15
    SKIP_BUTTON = 16
    ADOBE_FLASH = 17
    RESPONSIVE = 18


class APIFramework(IntEnum):
    """``api`` / ``Bid.apis`` (AdCOM API Frameworks)."""

    VPAID_1 = 1
    VPAID_2 = 2
    MRAID_1 = 3
    ORMMA = 4
    MRAID_2 = 5
    MRAID_3 = 6
    OMID_1 = 7
    SIMID_1 = 8
    SIMID_1_1 = 9


class AdPosition(IntEnum):
    """``pos`` (AdCOM Placement Positions)."""

    UNKNOWN = 0
    ABOVE_THE_FOLD = 1
    LOCKED = 2  # formerly "may or may not be initially visible"
    BELOW_THE_FOLD = 3
    HEADER = 4
    FOOTER = 5
    SIDEBAR = 6
    FULLSCREEN = 7


class VideoPlacement(IntEnum):
    """``Video.plcmt`` (AdCOM Plcmt Subtypes - Video, 2.6-202303)."""

    INSTREAM = 1
    ACCOMPANYING_CONTENT = 2
    INTERSTITIAL = 3
    NO_CONTENT_STANDALONE = 4


class VideoPlacementType(IntEnum):
    """``Video.placement``, deprecated in favour of ``plcmt``."""

    IN_STREAM = 1
    IN_BANNER = 2
    IN_ARTICLE = 3
    IN_FEED = 4
    INTERSTITIAL_SLIDER_FLOATING = 5


class Protocol(IntEnum):
    """``protocols`` / ``Bid.protocol`` (AdCOM Creative Subtypes - Audio/Video)."""

    VAST_1 = 1
    VAST_2 = 2
    VAST_3 = 3
    VAST_1_WRAPPER = 4
    VAST_2_WRAPPER = 5
    VAST_3_WRAPPER = 6
    VAST_4 = 7
    VAST_4_WRAPPER = 8
    DAAST_1 = 9
    DAAST_1_WRAPPER = 10
    VAST_4_1 = 11
    VAST_4_1_WRAPPER = 12
    VAST_4_2 = 13
    VAST_4_2_WRAPPER = 14
    VAST_4_3 = 15
    VAST_4_3_WRAPPER = 16


class PlaybackMethod(IntEnum):
    """``Video.playbackmethod`` (AdCOM Playback Methods)."""

    PAGE_LOAD_SOUND_ON = 1
    PAGE_LOAD_SOUND_OFF = 2
    CLICK_SOUND_ON = 3
    MOUSE_OVER_SOUND_ON = 4
    ENTER_VIEWPORT_SOUND_ON = 5
    ENTER_VIEWPORT_SOUND_OFF = 6


class PlaybackCessationMode(IntEnum):
    """``Video.playbackend``."""

    VIDEO_COMPLETION_OR_USER = 1
    LEAVING_VIEWPORT_OR_USER = 2
    LEAVING_VIEWPORT_FLOATS = 3


class StartDelay(IntEnum):
    """``startdelay``; a value above 0 is a mid-roll starting after that many seconds."""

    PRE_ROLL = 0
    GENERIC_MID_ROLL = -1
    GENERIC_POST_ROLL = -2


class LinearityMode(IntEnum):
    """``Video.linearity``."""

    LINEAR = 1
    NON_LINEAR = 2


class DeliveryMethod(IntEnum):
    """``delivery``."""

    STREAMING = 1
    PROGRESSIVE = 2
    DOWNLOAD = 3


class CompanionType(IntEnum):
    """``companiontype``."""

    STATIC = 1
    HTML = 2
    IFRAME = 3


class ExpandableDirection(IntEnum):
    """``Banner.expdir``."""

    LEFT = 1
    RIGHT = 2
    UP = 3
    DOWN = 4
    FULL_SCREEN = 5
    RESIZE_MINIMIZE = 6


class FeedType(IntEnum):
    """``Audio.feed``."""

    MUSIC_SERVICE = 1
    FM_AM_BROADCAST = 2
    PODCAST = 3


class VolumeNormalizationMode(IntEnum):
    """``Audio.nvol``."""

    NONE = 0
    AVERAGE = 1
    PEAK = 2
    LOUDNESS = 3
    CUSTOM = 4


class PodSequence(IntEnum):
    """``podseq``: the pod's position within the content stream."""

    LAST = -1
    ANY = 0
    FIRST = 1


class SlotPositionInPod(IntEnum):
    """``slotinpod`` (request and bid)."""

    LAST = -1
    ANY = 0
    FIRST = 1
    FIRST_OR_LAST = 2


class SSAI(IntEnum):
    """``Imp.ssai``: server-side ad insertion."""

    UNKNOWN = 0
    CLIENT_SIDE = 1
    STITCHED_CLIENT_TRACKING = 2
    SERVER_SIDE = 3


class AutoRefreshTrigger(IntEnum):
    """``RefSettings.reftype``."""

    UNKNOWN = 0
    USER_ACTION = 1
    EVENT = 2
    TIME = 3


class DOOHMultiplierSourceType(IntEnum):
    """``Qty.sourcetype``."""

    UNKNOWN = 0
    MEASUREMENT_VENDOR = 1
    PUBLISHER = 2
    EXCHANGE = 3


class ContentContext(IntEnum):
    """``Content.context``."""

    VIDEO = 1
    GAME = 2
    MUSIC = 3
    APPLICATION = 4
    TEXT = 5
    OTHER = 6
    UNKNOWN = 7


class ProductionQuality(IntEnum):
    """``Content.prodq``."""

    UNKNOWN = 0
    PROFESSIONAL = 1
    PROSUMER = 2
    USER_GENERATED = 3


class MediaRating(IntEnum):
    """``qagmediarating``."""

    ALL_AUDIENCES = 1
    OVER_12 = 2
    MATURE = 3


class CategoryTaxonomy(IntEnum):
    """``cattax`` / ``gtax`` (AdCOM Category Taxonomies); 500+ vendor-specific."""

    IAB_CONTENT_1_0 = 1
    IAB_CONTENT_2_0 = 2
    IAB_AD_PRODUCT_1_0 = 3
    IAB_AUDIENCE_1_1 = 4
    IAB_CONTENT_2_1 = 5
    IAB_CONTENT_2_2 = 6
    IAB_CONTENT_3_0 = 7
    IAB_AD_PRODUCT_2_0 = 8
    IAB_CONTENT_3_1 = 9


class DeviceType(IntEnum):
    """``Device.devicetype``."""

    MOBILE_TABLET = 1
    PERSONAL_COMPUTER = 2
    CONNECTED_TV = 3
    PHONE = 4
    TABLET = 5
    CONNECTED_DEVICE = 6
    SET_TOP_BOX = 7
    OOH_DEVICE = 8


class ConnectionType(IntEnum):
    """``Device.connectiontype``."""

    UNKNOWN = 0
    ETHERNET = 1
    WIFI = 2
    CELLULAR_UNKNOWN = 3
    CELLULAR_2G = 4
    CELLULAR_3G = 5
    CELLULAR_4G = 6
    CELLULAR_5G = 7


class LocationType(IntEnum):
    """``Geo.type``."""

    GPS = 1
    IP_ADDRESS = 2
    USER_PROVIDED = 3


class IPLocationService(IntEnum):
    """``Geo.ipservice``."""

    IP2LOCATION = 1
    NEUSTAR = 2
    MAXMIND = 3
    NETACUITY = 4


class UserAgentSource(IntEnum):
    """``UserAgent.source``."""

    UNKNOWN = 0
    CLIENT_HINTS_LOW_ENTROPY = 1
    CLIENT_HINTS_HIGH_ENTROPY = 2
    USER_AGENT_STRING = 3


class AgentType(IntEnum):
    """``UID.atype``; 500+ vendor-specific."""

    BROWSER_OR_DEVICE = 1
    IN_APP = 2
    PERSON = 3


class MatchMethod(IntEnum):
    """``EID.mm``."""

    UNKNOWN = 0
    NO_MATCHING = 1
    COOKIE_SYNC = 2
    AUTHENTICATED = 3
    OBSERVED = 4
    INFERENCE = 5


class MarkupType(IntEnum):
    """``Bid.mtype``: which media object of the impression the markup is for."""

    BANNER = 1
    VIDEO = 2
    AUDIO = 3
    NATIVE = 4
