"""The parts of EWS's messages.xsd and types.xsd the simulator checks every request against.

Written out by hand from the published schema (the [MS-OXWS*] open specifications, and the
.xsd Exchange serves at /EWS/*.xsd; the files themselves are Microsoft's and not vendored),
for the operations Fixline uses: GetUserOofSettings, SetUserOofSettings, GetInboxRules,
UpdateInboxRules, GetDelegate, GetFolder and UpdateFolder, and the SOAP header elements
exchangelib sends. Names, order, occurrences, enumerations and attributes are those of the
schema of Exchange 2016. What Fixline never sends is kept short on purpose:

- a LAX type (rule conditions, extended properties, retention tags, time zone periods...) is
  valid schema content whose inside is accepted unchecked;
- t:UnindexedFieldURIType lists the folder:* values only (the schema has hundreds of item
  and contact paths); any other FieldURI is refused here where Exchange would accept it;
- simpleContent types over NonEmptyStringType (SIDType, PrimarySmtpAddressType...) are
  written as that string type.
lab/ews/validation.py walks a request against this; a violation is ErrorSchemaValidation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from lab.ews.soap import M, S, T

XS = "http://www.w3.org/2001/XMLSchema"
XML = "http://www.w3.org/XML/1998/namespace"
PREFIXES = {"s": S, "m": M, "t": T, "xs": XS, "xml": XML}


@dataclass(frozen=True)
class Simple:
    """Text: a base kind (string, boolean, int, dateTime) and perhaps an enumeration."""

    kind: str = "string"
    values: frozenset[str] = frozenset()
    min_length: int = 0


@dataclass(frozen=True)
class Child:
    """One particle of a content model: an element or a choice of elements, and how often."""

    # (element, type): qualified names, "t:UserId" and "t:UserIdType".
    elements: tuple[tuple[str, str], ...]
    min: int = 1
    max: int | None = 1  # None: unbounded


@dataclass(frozen=True)
class Attr:
    type: str
    required: bool = False


@dataclass(frozen=True)
class Complex:
    """Element content in schema order, attributes, or text (simpleContent)."""

    children: tuple[Child, ...] = ()
    attributes: Mapping[str, Attr] = field(default_factory=dict)
    text: str | None = None
    lax: bool = False
    # xs:anyAttribute of the SOAP namespace (soap:mustUnderstand on header elements).
    soap_attributes: bool = False


def el(name: str, type_: str, lo: int = 1, hi: int | None = 1) -> Child:
    """One element of `type_`, lo to hi times (hi None: unbounded)."""
    return Child(((name, type_),), lo, hi)


def choice(*elements: tuple[str, str], hi: int | None = 1) -> Child:
    """One of `elements` (each an (element, type) pair), once to hi times."""
    return Child(elements, 1, hi)


def enum(*values: str) -> Simple:
    return Simple(values=frozenset(values))


def ct(
    *children: Child, attributes: Mapping[str, Attr] | None = None, soap_attributes: bool = False
) -> Complex:
    """A complex type with element content (children in schema order)."""
    return Complex(tuple(children), attributes or {}, soap_attributes=soap_attributes)


LAX = Complex(lax=True)
_S, _BOOL, _INT = "xs:string", "xs:boolean", "xs:int"
_LEVELS = ("None", "Owner", "PublishingEditor", "Editor", "PublishingAuthor", "Author",
           "NoneditingAuthor", "Reviewer", "Contributor")  # fmt: skip
_PATH = (("t:FieldURI", "t:PathToUnindexedFieldType"),
         ("t:IndexedFieldURI", "t:PathToIndexedFieldType"),
         ("t:ExtendedFieldURI", "t:PathToExtendedFieldType"))  # fmt: skip
_FOLDER_ID = (("t:FolderId", "t:FolderIdType"),
              ("t:DistinguishedFolderId", "t:DistinguishedFolderIdType"))  # fmt: skip
_HOLDERS = (("t:Folder", "t:FolderType"), ("t:CalendarFolder", "t:CalendarFolderType"),
            ("t:ContactsFolder", "t:LaxFolderType"), ("t:SearchFolder", "t:LaxFolderType"),
            ("t:TasksFolder", "t:LaxFolderType"))  # fmt: skip
# BaseFolderType's sequence, which FolderType and CalendarFolderType extend.
_BASE_FOLDER = (
    el("t:FolderId", "t:FolderIdType", 0), el("t:ParentFolderId", "t:FolderIdType", 0),
    el("t:FolderClass", _S, 0), el("t:DisplayName", _S, 0), el("t:TotalCount", _INT, 0),
    el("t:ChildFolderCount", _INT, 0), el("t:ExtendedProperty", "t:LaxType", 0, None),
    el("t:ManagedFolderInformation", "t:LaxType", 0), el("t:EffectiveRights", "t:LaxType", 0),
    el("t:DistinguishedFolderId", "t:DistinguishedFolderIdNameType", 0),
    el("t:PolicyTag", "t:LaxType", 0), el("t:ArchiveTag", "t:LaxType", 0),
    el("t:ReplicaList", "t:ArrayOfStringsType", 0),
)  # fmt: skip
_ACTION = "t:PermissionActionType"
# BasePermissionType's sequence, which PermissionType and CalendarPermissionType extend.
_BASE_PERMISSION = (
    el("t:UserId", "t:UserIdType"), el("t:CanCreateItems", _BOOL, 0),
    el("t:CanCreateSubFolders", _BOOL, 0), el("t:IsFolderOwner", _BOOL, 0),
    el("t:IsFolderVisible", _BOOL, 0), el("t:IsFolderContact", _BOOL, 0),
    el("t:EditItems", _ACTION, 0), el("t:DeleteItems", _ACTION, 0),
)  # fmt: skip
_RECIPIENTS, _PREDICATES = "t:ArrayOfEmailAddressesType", "t:RulePredicatesType"

TYPES: dict[str, Simple | Complex] = {
    _S: Simple(), _BOOL: Simple("boolean"), _INT: Simple("int"),
    "xs:dateTime": Simple("dateTime"), "xs:language": Simple(),
    "t:NonEmptyStringType": Simple(min_length=1),
    "t:LaxType": LAX, "t:LaxFolderType": LAX, "t:PathToIndexedFieldType": LAX,
    "t:PathToExtendedFieldType": LAX, _PREDICATES: LAX,
    # SOAP 1.1: the header and body entries are checked by HEADERS and OPERATIONS below.
    "s:Envelope": ct(el("s:Header", "s:Header", 0), el("s:Body", "s:Body")),
    "s:Header": LAX, "s:Body": LAX,
    # SOAP header elements.
    "t:ExchangeVersionType": enum(
        "Exchange2007", "Exchange2007_SP1", "Exchange2009", "Exchange2010", "Exchange2010_SP1",
        "Exchange2010_SP2", "Exchange2012", "Exchange2013", "Exchange2013_SP1", "Exchange2015",
        "Exchange2016", "V2015_10_05", "V2016_01_06", "V2016_04_13", "V2016_07_13", "V2016_10_10",
    ),
    "t:RequestServerVersion": ct(
        attributes={"Version": Attr("t:ExchangeVersionType", True)}, soap_attributes=True
    ),
    "t:ExchangeImpersonationType": ct(
        el("t:ConnectingSID", "t:ConnectingSIDType"), soap_attributes=True
    ),
    "t:ConnectingSIDType": ct(choice(
        ("t:PrincipalName", "t:NonEmptyStringType"), ("t:SID", "t:NonEmptyStringType"),
        ("t:PrimarySmtpAddress", "t:NonEmptyStringType"),
        ("t:SmtpAddress", "t:NonEmptyStringType"),
    )),
    "t:TimeZoneContextType": ct(
        el("t:TimeZoneDefinition", "t:TimeZoneDefinitionType"), soap_attributes=True
    ),
    "t:TimeZoneDefinitionType": ct(
        el("t:Periods", "t:LaxType", 0), el("t:TransitionsGroups", "t:LaxType", 0),
        el("t:Transitions", "t:LaxType", 0), attributes={"Id": Attr(_S), "Name": Attr(_S)},
    ),
    "t:MailboxCultureType": Complex(text="xs:language", soap_attributes=True),
    "t:DateTimePrecisionType": enum("Seconds", "Milliseconds"),
    # Addresses.
    "t:EmailAddress": ct(el("t:Name", _S, 0), el("t:Address", _S), el("t:RoutingType", _S, 0)),
    "t:EmailAddressType": ct(
        el("t:Name", _S, 0), el("t:EmailAddress", "t:NonEmptyStringType", 0),
        el("t:RoutingType", "t:NonEmptyStringType", 0), el("t:MailboxType", "t:MailboxTypeType", 0),
        el("t:ItemId", "t:ItemIdType", 0), el("t:OriginalDisplayName", _S, 0),
    ),
    "t:MailboxTypeType": enum("Unknown", "OneOff", "Mailbox", "PublicDL", "PrivateDL",
                              "Contact", "PublicFolder", "GroupMailbox", "ImplicitContact"),
    "t:ItemIdType": ct(attributes={"Id": Attr(_S, True), "ChangeKey": Attr(_S)}),
    "t:ArrayOfStringsType": ct(el("t:String", _S, 0, None)),
    # Out of office (GetUserOofSettings, SetUserOofSettings).
    "m:GetUserOofSettingsRequest": ct(el("t:Mailbox", "t:EmailAddress")),
    "m:SetUserOofSettingsRequest": ct(
        el("t:Mailbox", "t:EmailAddress"), el("t:UserOofSettings", "t:UserOofSettings")
    ),
    "t:UserOofSettings": ct(
        el("t:OofState", "t:OofState"), el("t:ExternalAudience", "t:ExternalAudience"),
        el("t:Duration", "t:Duration", 0), el("t:InternalReply", "t:ReplyBody", 0),
        el("t:ExternalReply", "t:ReplyBody", 0), el("t:DeclineMeetingReply", "t:ReplyBody", 0),
        el("t:DeclineEventsForScheduledOOF", _BOOL, 0),
        el("t:DeclineAllEventsForScheduledOOF", _BOOL, 0), el("t:CreateOOFEvent", _BOOL, 0),
        el("t:OOFEventSubject", _S, 0), el("t:AutoDeclineFutureRequestsWhenOOF", _BOOL, 0),
        el("t:OOFEventID", _S, 0), el("t:EventsToDeleteIDs", "t:LaxType", 0),
    ),
    "t:OofState": enum("Disabled", "Enabled", "Scheduled"),
    "t:ExternalAudience": enum("None", "Known", "All"),
    "t:Duration": ct(el("t:StartTime", "xs:dateTime"), el("t:EndTime", "xs:dateTime")),
    "t:ReplyBody": ct(el("t:Message", _S, 0), attributes={"xml:lang": Attr("xs:language")}),
    # Inbox rules (GetInboxRules, UpdateInboxRules).
    "m:GetInboxRulesRequestType": ct(el("m:MailboxSmtpAddress", _S, 0)),
    "m:UpdateInboxRulesRequestType": ct(
        el("m:MailboxSmtpAddress", _S, 0), el("m:RemoveOutlookRuleBlob", _BOOL, 0),
        el("m:Operations", "t:ArrayOfRuleOperationsType"),
    ),
    "t:ArrayOfRuleOperationsType": ct(choice(
        ("t:CreateRuleOperation", "t:RuleOperationType"),
        ("t:SetRuleOperation", "t:RuleOperationType"),
        ("t:DeleteRuleOperation", "t:DeleteRuleOperationType"), hi=None,
    )),
    # CreateRuleOperationType and SetRuleOperationType have the same content.
    "t:RuleOperationType": ct(el("t:Rule", "t:RuleType")),
    "t:DeleteRuleOperationType": ct(el("t:RuleId", _S)),
    "t:RuleType": ct(
        el("t:RuleId", _S, 0), el("t:DisplayName", _S), el("t:Priority", _INT),
        el("t:IsEnabled", _BOOL), el("t:IsNotSupported", _BOOL, 0), el("t:IsInError", _BOOL, 0),
        el("t:Conditions", _PREDICATES, 0), el("t:Exceptions", _PREDICATES, 0),
        el("t:Actions", "t:RuleActionsType", 0),
    ),
    "t:RuleActionsType": ct(
        el("t:AssignCategories", "t:ArrayOfStringsType", 0), el("t:CopyToFolder", "t:LaxType", 0),
        el("t:Delete", _BOOL, 0), el("t:ForwardAsAttachmentToRecipients", _RECIPIENTS, 0),
        el("t:ForwardToRecipients", _RECIPIENTS, 0),
        el("t:MarkImportance", "t:ImportanceChoicesType", 0), el("t:MarkAsRead", _BOOL, 0),
        el("t:MoveToFolder", "t:LaxType", 0), el("t:PermanentDelete", _BOOL, 0),
        el("t:RedirectToRecipients", _RECIPIENTS, 0),
        el("t:SendSMSAlertToRecipients", _RECIPIENTS, 0),
        el("t:ServerReplyWithMessage", "t:ItemIdType", 0), el("t:StopProcessingRules", _BOOL, 0),
    ),
    _RECIPIENTS: ct(el("t:Address", "t:EmailAddressType", 0, None)),
    "t:ImportanceChoicesType": enum("Low", "Normal", "High"),
    # Delegates (GetDelegate).
    "m:GetDelegateType": ct(
        el("m:Mailbox", "t:EmailAddressType"), el("m:UserIds", "t:ArrayOfUserIdType", 0),
        attributes={"IncludePermissions": Attr(_BOOL, True)},
    ),
    "t:ArrayOfUserIdType": ct(el("t:UserId", "t:UserIdType", 1, None)),
    # Folders (GetFolder, UpdateFolder).
    "m:GetFolderType": ct(
        el("m:FolderShape", "t:FolderResponseShapeType"),
        el("m:FolderIds", "t:NonEmptyArrayOfBaseFolderIdsType"),
    ),
    "t:FolderResponseShapeType": ct(
        el("t:BaseShape", "t:DefaultShapeNamesType"),
        el("t:AdditionalProperties", "t:NonEmptyArrayOfPathsToElementType", 0),
    ),
    "t:DefaultShapeNamesType": enum("IdOnly", "Default", "AllProperties", "PcxPeopleSearch"),
    "t:NonEmptyArrayOfPathsToElementType": ct(choice(*_PATH, hi=None)),
    "t:PathToUnindexedFieldType": ct(
        attributes={"FieldURI": Attr("t:UnindexedFieldURIType", True)}
    ),
    "t:UnindexedFieldURIType": enum(*(f"folder:{name}" for name in (
        "FolderId", "ParentFolderId", "DisplayName", "UnreadCount", "TotalCount",
        "ChildFolderCount", "FolderClass", "SearchParameters", "ManagedFolderInformation",
        "PermissionSet", "EffectiveRights", "SharingEffectiveRights", "DistinguishedFolderId",
        "PolicyTag", "ArchiveTag", "ReplicaList",
    ))),
    "t:NonEmptyArrayOfBaseFolderIdsType": ct(choice(*_FOLDER_ID, hi=None)),
    "t:FolderIdType": ct(attributes={"Id": Attr(_S, True), "ChangeKey": Attr(_S)}),
    "t:DistinguishedFolderIdType": ct(
        el("t:Mailbox", "t:EmailAddressType", 0),
        attributes={"Id": Attr("t:DistinguishedFolderIdNameType", True), "ChangeKey": Attr(_S)},
    ),
    "t:DistinguishedFolderIdNameType": enum(
        "calendar", "contacts", "deleteditems", "drafts", "inbox", "journal", "notes", "outbox",
        "sentitems", "tasks", "msgfolderroot", "publicfoldersroot", "root", "junkemail",
        "searchfolders", "voicemail", "recoverableitemsroot", "recoverableitemsdeletions",
        "recoverableitemsversions", "recoverableitemspurges", "recoverableitemsdiscoveryholds",
        "archiveroot", "archivemsgfolderroot", "archivedeleteditems", "archiveinbox",
        "archiverecoverableitemsroot", "archiverecoverableitemsdeletions",
        "archiverecoverableitemsversions", "archiverecoverableitemspurges",
        "archiverecoverableitemsdiscoveryholds", "syncissues", "conflicts", "localfailures",
        "serverfailures", "recipientcache", "quickcontacts", "conversationhistory",
        "adminauditlogs", "todosearch", "mycontacts", "directory", "imcontactlist",
        "peopleconnect", "favorites",
    ),
    "m:UpdateFolderType": ct(el("m:FolderChanges", "t:NonEmptyArrayOfFolderChangesType")),
    "t:NonEmptyArrayOfFolderChangesType": ct(el("t:FolderChange", "t:FolderChangeType", 1, None)),
    "t:FolderChangeType": ct(
        choice(*_FOLDER_ID), el("t:Updates", "t:NonEmptyArrayOfFolderChangeDescriptionsType")
    ),
    "t:NonEmptyArrayOfFolderChangeDescriptionsType": ct(choice(
        ("t:AppendToFolderField", "t:SetFolderFieldType"),
        ("t:SetFolderField", "t:SetFolderFieldType"),
        ("t:DeleteFolderField", "t:DeleteFolderFieldType"), hi=None,
    )),
    # AppendToFolderFieldType has the same content as SetFolderFieldType.
    "t:SetFolderFieldType": ct(choice(*_PATH, hi=None), choice(*_HOLDERS)),
    "t:DeleteFolderFieldType": ct(choice(*_PATH, hi=None)),
    "t:FolderType": ct(
        *_BASE_FOLDER, el("t:PermissionSet", "t:PermissionSetType", 0),
        el("t:UnreadCount", _INT, 0),
    ),
    "t:CalendarFolderType": ct(
        *_BASE_FOLDER, el("t:SharingEffectiveRights", "t:CalendarPermissionReadAccessType", 0),
        el("t:PermissionSet", "t:CalendarPermissionSetType", 0),
    ),
    # Folder permissions; UnknownEntries are entries Exchange could not resolve (a SID).
    "t:PermissionSetType": ct(
        el("t:Permissions", "t:ArrayOfPermissionsType"),
        el("t:UnknownEntries", "t:ArrayOfUnknownEntriesType", 0),
    ),
    "t:CalendarPermissionSetType": ct(
        el("t:CalendarPermissions", "t:ArrayOfCalendarPermissionsType"),
        el("t:UnknownEntries", "t:ArrayOfUnknownEntriesType", 0),
    ),
    "t:ArrayOfPermissionsType": ct(el("t:Permission", "t:PermissionType", 0, None)),
    "t:ArrayOfCalendarPermissionsType": ct(
        el("t:CalendarPermission", "t:CalendarPermissionType", 0, None)
    ),
    "t:ArrayOfUnknownEntriesType": ct(el("t:UnknownEntry", _S, 0, None)),
    "t:PermissionType": ct(
        *_BASE_PERMISSION, el("t:ReadItems", "t:PermissionReadAccessType", 0),
        el("t:PermissionLevel", "t:PermissionLevelType"),
    ),
    "t:CalendarPermissionType": ct(
        *_BASE_PERMISSION, el("t:ReadItems", "t:CalendarPermissionReadAccessType", 0),
        el("t:CalendarPermissionLevel", "t:CalendarPermissionLevelType"),
    ),
    "t:UserIdType": ct(
        el("t:SID", _S, 0), el("t:PrimarySmtpAddress", _S, 0), el("t:DisplayName", _S, 0),
        el("t:DistinguishedUser", "t:DistinguishedUserType", 0),
        el("t:ExternalUserIdentity", _S, 0),
    ),
    "t:DistinguishedUserType": enum("Default", "Anonymous"),
    "t:PermissionActionType": enum("None", "Owned", "All"),
    "t:PermissionReadAccessType": enum("None", "FullDetails"),
    "t:CalendarPermissionReadAccessType": enum(
        "None", "TimeOnly", "TimeAndSubjectAndLocation", "FullDetails"
    ),
    "t:PermissionLevelType": enum(*_LEVELS, "Custom"),
    "t:CalendarPermissionLevelType": enum(
        *_LEVELS, "FreeBusyTimeOnly", "FreeBusyTimeAndSubjectAndLocation", "Custom"
    ),
}  # fmt: skip

# The request elements of the SOAP Body (messages.xsd), by operation element.
OPERATIONS = {
    "m:GetUserOofSettingsRequest": "m:GetUserOofSettingsRequest",
    "m:SetUserOofSettingsRequest": "m:SetUserOofSettingsRequest",
    "m:GetInboxRules": "m:GetInboxRulesRequestType",
    "m:UpdateInboxRules": "m:UpdateInboxRulesRequestType",
    "m:GetDelegate": "m:GetDelegateType",
    "m:GetFolder": "m:GetFolderType",
    "m:UpdateFolder": "m:UpdateFolderType",
}
# SOAP header elements EWS declares; any other header element is left alone, as
# soap:Header's xs:any (processContents="lax") does.
HEADERS = {
    "t:RequestServerVersion": "t:RequestServerVersion",
    "t:ExchangeImpersonation": "t:ExchangeImpersonationType",
    "t:TimeZoneContext": "t:TimeZoneContextType",
    "t:MailboxCulture": "t:MailboxCultureType",
    "t:DateTimePrecision": "t:DateTimePrecisionType",
}


def clark(name: str) -> str:
    """'t:UserId' as ElementTree spells it: '{http://...types}UserId'."""
    prefix, _, local = name.partition(":")
    return f"{{{PREFIXES[prefix]}}}{local}"
