"""Company pages, included at /<lang>/company/; every one of them is for members only."""

from django.urls import path

from accounts import companies

urlpatterns = [
    path("", companies.my_companies, name="my_companies"),
    path("new/", companies.company_create, name="company_create"),
    path("join/<str:token>/", companies.invitation_accept, name="invitation_accept"),
    path("<slug:slug>/", companies.company_detail, name="company_detail"),
    path("<slug:slug>/members/", companies.company_members, name="company_members"),
    path("<slug:slug>/invite/", companies.company_invite, name="company_invite"),
    path(
        "<slug:slug>/invitations/<int:pk>/withdraw/",
        companies.invitation_cancel,
        name="invitation_cancel",
    ),
    path("<slug:slug>/members/<int:pk>/remove/", companies.member_remove, name="member_remove"),
    path(
        "<slug:slug>/members/<int:pk>/make-owner/",
        companies.ownership_transfer,
        name="ownership_transfer",
    ),
    path("<slug:slug>/leave/", companies.company_leave, name="company_leave"),
]
